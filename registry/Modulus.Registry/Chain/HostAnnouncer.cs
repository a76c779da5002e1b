using Modulus.Modules;
using Modulus.Registry.Contracts;
using Nethereum.Contracts;

namespace Modulus.Registry.Chain;

/// <summary>A module a host serves, with the content hash (the package sha256) of the files it serves.</summary>
public sealed record ServedModule(string Name, string Version, string ContentHash);

/// <summary>What announcing one module came to.</summary>
/// <param name="Module">The module.</param>
/// <param name="Announced">True when this host now stands on chain as serving the version.</param>
/// <param name="Reason">Why not, when not: unpublished, or the served files differ from the published package.</param>
public sealed record AnnounceOutcome(ServedModule Module, bool Announced, string? Reason);

/// <summary>
/// Announces on chain that this host serves its modules at an endpoint, and withdraws the
/// announcements when it stops. Only a version that is published and whose files pack to the
/// published hash is announced: a host never vouches for code other than what the chain records.
/// </summary>
public sealed class HostAnnouncer(RegistryContracts contracts, string endpoint)
{
    private readonly List<ServedModule> _announced = [];

    public string Endpoint { get; } = endpoint;

    public IReadOnlyList<ServedModule> Announced => _announced;

    public async Task<IReadOnlyList<AnnounceOutcome>> AnnounceAsync(IEnumerable<ServedModule> modules, CancellationToken cancellationToken = default)
    {
        var outcomes = new List<AnnounceOutcome>();
        foreach (var module in modules)
        {
            VersionOutput published;
            try
            {
                published = await contracts.GetVersionAsync(module.Name, module.Version).ConfigureAwait(false);
            }
            catch (SmartContractCustomErrorRevertException ex) when (ex.IsCustomErrorFor<UnknownVersionError>())
            {
                outcomes.Add(new AnnounceOutcome(module, false, $"{module.Name}@{module.Version} is not published; `modulus publish` it first"));
                continue;
            }

            // The host already knows the content hash of what it serves; no folder is packed again here.
            var onChain = ContentHash.FromBytes32(published.ContentHash);
            if (!string.Equals(module.ContentHash, onChain, StringComparison.OrdinalIgnoreCase))
            {
                outcomes.Add(new AnnounceOutcome(module, false, $"the files served for {module.Name}@{module.Version} have content hash sha256 {module.ContentHash}, the chain records {onChain}; publish a new version"));
                continue;
            }

            var current = await contracts.HostEndpointAsync(module.Name, module.Version, contracts.Account).ConfigureAwait(false);
            if (current != Endpoint)
            {
                await contracts.AnnounceAsync(module.Name, module.Version, Endpoint, cancellationToken).ConfigureAwait(false);
            }

            _announced.Add(module);
            outcomes.Add(new AnnounceOutcome(module, true, null));
        }

        return outcomes;
    }

    /// <summary>Withdraws every announcement this announcer made.</summary>
    public async Task<int> WithdrawAllAsync(CancellationToken cancellationToken = default)
    {
        var withdrawn = 0;
        foreach (var module in _announced)
        {
            await contracts.WithdrawHostAsync(module.Name, module.Version, cancellationToken).ConfigureAwait(false);
            withdrawn++;
        }

        _announced.Clear();
        return withdrawn;
    }
}
