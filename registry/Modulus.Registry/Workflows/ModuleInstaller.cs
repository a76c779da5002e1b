using Modulus.Modules;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;

namespace Modulus.Registry;

/// <summary>What installing came to.</summary>
/// <param name="Name">The module installed.</param>
/// <param name="Version">The version installed.</param>
/// <param name="Sha256">The content hash, as on chain.</param>
/// <param name="Directory">The module folder written.</param>
/// <param name="Files">The files written, relative paths with '/' separators.</param>
public sealed record InstallResult(string Name, string Version, string Sha256, string Directory, IReadOnlyList<string> Files);

/// <summary>
/// Installs a published module into a module tree: resolves <c>NAME[@VERSION]</c> through the
/// registry service, downloads the package, refuses it unless its sha256 is the one recorded on
/// chain (the chain, not the service, says what the bytes must be), and unpacks it atomically into
/// <c>TREE/name/as/path</c>, where the host serves it under its name.
/// </summary>
public sealed class ModuleInstaller(RegistryContracts contracts, RegistryClient registry)
{
    /// <summary>Installs a module.</summary>
    /// <param name="target">NAME or NAME@VERSION.</param>
    /// <param name="tree">The module tree to install into.</param>
    /// <param name="force">Replace the module's folder when it is there.</param>
    /// <param name="progress">Where steps are reported.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <exception cref="RegistryException">Every failure, with its code.</exception>
    public Task<InstallResult> InstallAsync(string target, string tree, bool force, IRegistryProgress? progress = null, CancellationToken cancellationToken = default) =>
        RegistryFailures.RunAsync(() => RunAsync(target, tree, force, progress ?? NoProgress.Instance, cancellationToken));

    private async Task<InstallResult> RunAsync(string target, string tree, bool force, IRegistryProgress progress, CancellationToken cancellationToken)
    {
        var (name, version) = ModuleResolver.SplitTarget(target);
        progress.Step($"Resolving {target} at {registry.Url}");
        var resolved = await registry.ResolveAsync(name.Value, version?.Value, cancellationToken).ConfigureAwait(false);
        progress.Done($"{resolved.Name}@{resolved.Version}{(resolved.Deprecated ? " (deprecated)" : string.Empty)}");

        var published = await contracts.GetVersionAsync(resolved.Name, resolved.Version).ConfigureAwait(false);
        var chainHash = ContentHash.FromBytes32(published.ContentHash);

        var folder = Path.Combine(Path.GetFullPath(tree), ModuleName.Parse(resolved.Name).ToRelativePath());
        if (Directory.Exists(folder) && !force)
        {
            throw new RegistryException(RegistryErrorCode.AlreadyExists, $"{folder} already exists; pass --force to replace it with {resolved.Name}@{resolved.Version}");
        }

        progress.Step($"Downloading sha256 {chainHash}");
        var bytes = await registry.GetPackageAsync(chainHash, new Progress<long>(got => progress.Percent(got, got)), cancellationToken).ConfigureAwait(false);
        progress.Done($"{bytes.Length:N0} bytes");

        progress.Step($"Verifying against the chain and unpacking into {folder}");
        IReadOnlyList<string> files;
        try
        {
            files = ModulePackage.Unpack(bytes, chainHash, folder, overwrite: force);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The tree is in the way (a file where the module's folder or a parent of it goes, a
            // folder that cannot be written): the tree's state, said in one line, not a stack trace.
            throw new RegistryException(RegistryErrorCode.AlreadyExists, $"cannot install {resolved.Name}@{resolved.Version} into {folder}: {ex.Message.TrimEnd('.')}; move what is in the way, or pick another tree with --into", ex);
        }

        progress.Done("done");
        return new InstallResult(resolved.Name, resolved.Version, chainHash, folder, files);
    }
}
