using Modulus.Modules;
using Modulus.Registry.Service;

namespace Modulus.Registry;

/// <summary>A module resolved to a version and the hosts that announce it.</summary>
/// <param name="Name">The module.</param>
/// <param name="Version">The version picked: the one asked for, else the highest live release.</param>
/// <param name="Sha256">The package's content hash.</param>
/// <param name="Endpoints">The endpoints of the hosts that announce this version, as announced.</param>
public sealed record ResolvedHosts(string Name, string Version, string Sha256, IReadOnlyList<string> Endpoints)
{
    /// <summary>A client that calls this version on any of its hosts, failing over between them (see <see cref="Modulus.Client.ModulusFailoverClient"/>).</summary>
    /// <exception cref="FormatException">A host announced an endpoint that is not a Modulus address.</exception>
    public Modulus.Client.ModulusFailoverClient Connect(Modulus.Client.ModulusClientOptions? options = null) =>
        Modulus.Client.ModulusFailoverClient.Connect(Endpoints, options);
}

/// <summary>Finds the hosts that serve a module, through the registry service's index of the chain.</summary>
public sealed class ModuleResolver(RegistryClient registry)
{
    /// <summary>Resolves NAME or NAME@VERSION to the hosts that announce it.</summary>
    /// <exception cref="RegistryException">NotFound when nothing is published under the name, or no host announces the version; other codes as the service fails.</exception>
    public Task<ResolvedHosts> ResolveAsync(string target, CancellationToken cancellationToken = default) => RegistryFailures.RunAsync(async () =>
    {
        var (name, version) = SplitTarget(target);
        var resolved = await registry.ResolveAsync(name.Value, version?.Value, cancellationToken).ConfigureAwait(false);
        var endpoints = resolved.Hosts.Select(h => h.Endpoint).Where(e => e.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        if (endpoints.Length == 0)
        {
            throw new RegistryException(RegistryErrorCode.NotFound, $"no host has announced {resolved.Name}@{resolved.Version}; serve it with `modulus serve --announce`, or pass --url");
        }

        return new ResolvedHosts(resolved.Name, resolved.Version, resolved.ContentHash, endpoints);
    });

    /// <summary>Resolves NAME or NAME@VERSION and connects to every host that announces it, failing over between them.</summary>
    /// <exception cref="RegistryException">As <see cref="ResolveAsync"/>; InvalidArgument when a host announced a malformed endpoint.</exception>
    public async Task<Modulus.Client.ModulusFailoverClient> ConnectAsync(string target, Modulus.Client.ModulusClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            return resolved.Connect(options);
        }
        catch (FormatException ex)
        {
            throw new RegistryException(RegistryErrorCode.InvalidArgument, $"a host of {resolved.Name}@{resolved.Version} announced an endpoint that is not an address ({ex.Message})", ex);
        }
    }

    /// <summary>Splits NAME or NAME@VERSION, checking both against the module rules.</summary>
    /// <exception cref="RegistryException">InvalidArgument, in the rules' own sentences.</exception>
    public static (ModuleName Name, ModuleVersion? Version) SplitTarget(string target)
    {
        var at = target.IndexOf('@', StringComparison.Ordinal);
        var nameText = at < 0 ? target : target[..at];
        if (!ModuleName.TryParse(nameText, out var name, out var nameError))
        {
            throw new RegistryException(RegistryErrorCode.InvalidArgument, $"{nameError} (give NAME or NAME@VERSION, e.g. text.stats@1.0.0)");
        }

        if (at < 0)
        {
            return (name, null);
        }

        return ModuleVersion.TryParse(target[(at + 1)..], out var version, out var versionError)
            ? (name, version)
            : throw new RegistryException(RegistryErrorCode.InvalidArgument, $"{versionError} (give NAME or NAME@VERSION, e.g. text.stats@1.0.0)");
    }
}
