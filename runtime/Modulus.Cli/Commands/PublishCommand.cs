using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Modulus.Client.Keys;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Packaging;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace Modulus.Cli.Commands;

/// <summary>
/// <c>modulus publish [DIR]</c>: packs a module deterministically, uploads the package to the
/// registry store, claims the name when it is free and publishes the version on chain.
/// </summary>
internal static class PublishCommand
{
    /// <summary>How the chain records where a package is: content-addressed, fetched from any registry store.</summary>
    public static string PackageUri(string sha256Hex) => "sha256:" + sha256Hex;

    public static Command Create(CliOutput output, Func<KeyRing> keyRing)
    {
        var directory = new Argument<string>("dir") { Description = "The module's folder (with its module.json).", DefaultValueFactory = _ => "." };
        var name = new Option<string?>("--name") { Description = "The name to publish under. Defaults to \"name\" in module.json, else the folder's path below ./modules (modules/text/stats → text.stats), else the folder's name." };
        var access = new RegistryAccess();
        var json = CommonOptions.Json();
        var command = new Command("publish", "Pack a module, upload it to the registry store, claim its name if needed and publish its version on chain.")
        {
            directory, name, access.Registry, json,
        };
        access.AddSigningOptions(command);
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, async () =>
        {
            var folder = Path.GetFullPath(parse.GetValue(directory)!);
            if (!Directory.Exists(folder))
            {
                return output.Usage($"{folder} does not exist; pass a module's folder, e.g. `modulus publish modules/text/stats`");
            }

            if (!File.Exists(Path.Combine(folder, "module.json")))
            {
                return output.Usage($"{folder} has no module.json; pass a module's folder (`modulus new NAME` makes one)");
            }

            var moduleName = parse.GetValue(name) ?? ModuleName(folder);
            var contracts = access.Signed(parse, output, keyRing(), out var exit);
            if (contracts is null)
            {
                return exit;
            }

            var progress = new Progress(output.Error, quiet: parse.GetValue(json));
            progress.Step($"Packing {folder}");
            var package = ModulePackage.Pack(folder);
            var version = package.Manifest.Version;
            progress.Done($"{package.Files.Count} files, {package.Bytes.Length:N0} bytes, sha256 {package.Sha256Hex}");

            var receipts = new List<(string Step, TransactionReceipt Receipt)>();
            var owner = await contracts.OwnerOfAsync(moduleName).ConfigureAwait(false);
            var existing = await ExistingHashAsync(contracts, moduleName, version).ConfigureAwait(false);
            if (existing is not null)
            {
                if (!string.Equals(existing, package.Sha256Hex, StringComparison.Ordinal))
                {
                    output.Error.WriteLine($"error: {moduleName}@{version} is already published with sha256 {existing}, and this folder packs to {package.Sha256Hex}; versions are immutable: raise \"version\" in module.json");
                    return CliOutput.ExitFailure;
                }

                progress.Step($"{moduleName}@{version} is already published with this content");
                progress.Done("nothing to do");
            }

            using var registry = access.Client(parse);
            progress.Step($"Uploading to the registry store at {registry.Url}");
            var stored = await registry.PutPackageAsync(package.Bytes, package.Sha256Hex, new Progress<long>(sent => progress.Percent(sent, package.Bytes.Length)), cancellationToken).ConfigureAwait(false);
            progress.Done($"{stored.Size:N0} bytes stored");

            if (existing is null)
            {
                if (IsZero(owner))
                {
                    progress.Step($"Claiming {moduleName} (commit, then reveal in the next block)");
                    var (commit, claim) = await contracts.ClaimNameAsync(moduleName, cancellationToken).ConfigureAwait(false);
                    receipts.Add(("commit", commit));
                    receipts.Add(("claim", claim));
                    progress.Done($"owned by {contracts.Account}");
                }
                else if (!string.Equals(owner, contracts.Account, StringComparison.OrdinalIgnoreCase))
                {
                    output.Error.WriteLine($"error: the name {moduleName} belongs to {owner}; publish with that key (--key), or under another name (--name)");
                    return CliOutput.ExitFailure;
                }

                progress.Step($"Publishing {moduleName}@{version}");
                var publish = await contracts.PublishAsync(moduleName, version, ContentHash.ToBytes32(package.Sha256Hex), PackageUri(package.Sha256Hex), cancellationToken).ConfigureAwait(false);
                receipts.Add(("publish", publish));
                progress.Done($"block {publish.BlockNumber.Value}");
            }

            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        name = moduleName,
                        version,
                        sha256 = package.Sha256Hex,
                        size = package.Bytes.Length,
                        packageUri = PackageUri(package.Sha256Hex),
                        owner = contracts.Account,
                        transactions = receipts.Select(r => new { step = r.Step, hash = r.Receipt.TransactionHash, block = (long)r.Receipt.BlockNumber.Value, gasUsed = (long)r.Receipt.GasUsed.Value }),
                    },
                    CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"Published {moduleName}@{version} (sha256 {package.Sha256Hex}, {package.Bytes.Length:N0} bytes)");
            if (receipts.Count > 0)
            {
                var table = new TableWriter("STEP", "TRANSACTION", "BLOCK", "GAS");
                foreach (var (step, receipt) in receipts)
                {
                    table.Add(step, receipt.TransactionHash, receipt.BlockNumber.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), receipt.GasUsed.Value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                }

                table.Write(output.Out);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>"name" in module.json, else the path below ./modules, else the folder's name.</summary>
    public static string ModuleName(string folder)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "module.json")))?["name"]?.GetValue<string>() is { Length: > 0 } declared)
            {
                return declared;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // A malformed manifest is reported by packing, with its reason.
        }

        var tree = Path.GetFullPath("modules") + Path.DirectorySeparatorChar;
        return folder.StartsWith(tree, StringComparison.Ordinal)
            ? Path.GetRelativePath(tree, folder).Replace(Path.DirectorySeparatorChar, '.')
            : Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar));
    }

    private static bool IsZero(string address) => address.TrimStart('0', 'x').Length == 0;

    /// <summary>The published version's hash, or null when the version is not published.</summary>
    private static async Task<string?> ExistingHashAsync(RegistryContracts contracts, string name, string version)
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
