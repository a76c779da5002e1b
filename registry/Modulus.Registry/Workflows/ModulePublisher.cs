using Modulus.Modules;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Service;
using Nethereum.Contracts;

namespace Modulus.Registry;

/// <summary>A transaction a workflow sent.</summary>
/// <param name="Step">What it did: commit, claim, publish.</param>
/// <param name="Hash">The transaction hash.</param>
/// <param name="Block">The block it was mined in.</param>
/// <param name="GasUsed">The gas it used.</param>
public sealed record RegistryTransaction(string Step, string Hash, long Block, long GasUsed);

/// <summary>What publishing came to.</summary>
/// <param name="Name">The module name published.</param>
/// <param name="Version">The version published.</param>
/// <param name="Sha256">The package's content hash, as on chain.</param>
/// <param name="Size">The package's size in bytes.</param>
/// <param name="PackageUri">The URI recorded on chain.</param>
/// <param name="Owner">The account that owns the name.</param>
/// <param name="AlreadyPublished">True when this version was already on chain with this content: nothing was sent.</param>
/// <param name="Transactions">The transactions sent.</param>
public sealed record PublishResult(string Name, string Version, string Sha256, long Size, string PackageUri, string Owner, bool AlreadyPublished, IReadOnlyList<RegistryTransaction> Transactions);

/// <summary>
/// Publishes a module folder: packs it deterministically, checks that the package's own manifest
/// says the name and version being published, uploads it to the registry's content store, claims the
/// name when it is free (commit, then reveal) and publishes the version on chain. Re-publishing the
/// same content is a no-op; other content under a published version is refused (versions are immutable).
/// </summary>
public sealed class ModulePublisher(RegistryContracts contracts, RegistryClient store)
{
    /// <summary>Publishes the module in <paramref name="folder"/>.</summary>
    /// <param name="folder">The module's folder.</param>
    /// <param name="name">The name to publish under; null for the manifest's <c>"name"</c>. When both are given they must agree.</param>
    /// <param name="progress">Where steps are reported.</param>
    /// <param name="cancellationToken">Stops the workflow between steps.</param>
    /// <exception cref="RegistryException">Every failure, with its code.</exception>
    public Task<PublishResult> PublishAsync(string folder, string? name, IRegistryProgress? progress = null, CancellationToken cancellationToken = default) =>
        RegistryFailures.RunAsync(() => RunAsync(folder, name, progress ?? NoProgress.Instance, cancellationToken));

    /// <summary>
    /// The name a package is published under: the one asked for and the manifest's must agree, and
    /// one of them must be there; either must be a name the contract accepts.
    /// </summary>
    /// <exception cref="RegistryException">InvalidArgument, saying which.</exception>
    public static string NameFor(ModuleManifest manifest, string? requested, string folder)
    {
        if (requested is not null && !ModuleName.TryParse(requested, out _, out var error))
        {
            throw new RegistryException(RegistryErrorCode.InvalidArgument, error);
        }

        return (requested, manifest.Name) switch
        {
            (null, null) => throw new RegistryException(RegistryErrorCode.InvalidArgument,
                $"{Path.Combine(folder, ModuleManifest.FileName)} has no \"name\"; add one (e.g. \"name\": \"{Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)).ToLowerInvariant()}\") or pass --name, so the name published is the name served"),
            (null, { } declared) => declared.Value,
            ({ } asked, null) => asked,
            ({ } asked, { } declared) when asked == declared.Value => asked,
            ({ } asked, { } declared) => throw new RegistryException(RegistryErrorCode.InvalidArgument,
                $"module.json says the module is \"{declared}\", but it would be published as \"{asked}\"; a package must name what it is published as: change \"name\" in module.json or drop --name"),
        };
    }

    private async Task<PublishResult> RunAsync(string folder, string? requestedName, IRegistryProgress progress, CancellationToken cancellationToken)
    {
        folder = Path.GetFullPath(folder);
        progress.Step($"Packing {folder}");
        var package = ModulePackage.Pack(folder);
        progress.Done($"{package.Files.Count} files, {package.Bytes.Length:N0} bytes, sha256 {package.Sha256}");

        var name = NameFor(package.Manifest, requestedName, folder);
        // What goes on chain is read from the package itself, so the two cannot disagree.
        var version = ModulePackage.ReadManifest(package.Bytes).Version.Value;

        var owner = await contracts.OwnerOfAsync(name).ConfigureAwait(false);
        var existing = await ExistingHashAsync(name, version).ConfigureAwait(false);
        if (existing is not null && !string.Equals(existing, package.Sha256, StringComparison.Ordinal))
        {
            throw new RegistryException(RegistryErrorCode.AlreadyExists,
                $"{name}@{version} is already published with sha256 {existing}, and this folder packs to {package.Sha256}; versions are immutable: raise \"version\" in module.json");
        }

        if (existing is null && !IsZero(owner) && !string.Equals(owner, contracts.Account, StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryException(RegistryErrorCode.PermissionDenied,
                $"the name {name} belongs to {owner}; publish with that key (--key), or under another name");
        }

        progress.Step($"Uploading to the registry store at {store.Url}");
        // The upload is signed with the key that publishes, so the store knows whose name it is for.
        var uploader = contracts.Web3.TransactionManager.Account is Nethereum.Web3.Accounts.Account { PrivateKey: { } key }
            ? new Nethereum.Signer.EthECKey(key)
            : null;
        var stored = await store.PutPackageAsync(package.Bytes, package.Sha256, new Progress<long>(sent => progress.Percent(sent, package.Bytes.Length)), cancellationToken, uploader).ConfigureAwait(false);
        progress.Done($"{stored.Size:N0} bytes stored");

        var transactions = new List<RegistryTransaction>();
        if (existing is null)
        {
            if (IsZero(owner))
            {
                progress.Step($"Claiming {name} (commit, then reveal in the next block)");
                var (commit, claim) = await contracts.ClaimNameAsync(name, cancellationToken).ConfigureAwait(false);
                transactions.Add(Record("commit", commit));
                transactions.Add(Record("claim", claim));
                progress.Done($"owned by {contracts.Account}");
            }

            progress.Step($"Publishing {name}@{version}");
            var publish = await contracts.PublishAsync(name, version, ContentHash.ToBytes32(package.Sha256), package.Uri, cancellationToken).ConfigureAwait(false);
            transactions.Add(Record("publish", publish));
            progress.Done($"block {publish.BlockNumber.Value}");
        }
        else
        {
            progress.Step($"{name}@{version} is already published with this content");
            progress.Done("nothing to do");
        }

        return new PublishResult(name, version, package.Sha256, package.Bytes.Length, package.Uri, IsZero(owner) ? contracts.Account : owner, existing is not null, transactions);
    }

    private static RegistryTransaction Record(string step, Nethereum.RPC.Eth.DTOs.TransactionReceipt receipt) =>
        new(step, receipt.TransactionHash, (long)receipt.BlockNumber.Value, (long)receipt.GasUsed.Value);

    private static bool IsZero(string address) => address.TrimStart('0', 'x').Length == 0;

    /// <summary>The published version's hash, or null when the version is not published.</summary>
    private async Task<string?> ExistingHashAsync(string name, string version)
    {
        try
        {
            var published = await contracts.GetVersionAsync(name, version).ConfigureAwait(false);
            return ContentHash.FromBytes32(published.ContentHash);
        }
        catch (SmartContractCustomErrorRevertException ex) when (ex.IsCustomErrorFor<UnknownVersionError>())
        {
            return null;
        }
    }
}
