using System.CommandLine;
using System.Text.Json;
using Modulus.Registry.Packaging;

namespace Modulus.Cli.Commands;

/// <summary>
/// <c>modulus install NAME[@VERSION]</c>: resolves a module through the registry service, downloads
/// its package, checks the bytes against the hash recorded on chain, and unpacks it into a tree.
/// </summary>
internal static class InstallCommand
{
    public static Command Create(CliOutput output)
    {
        var target = new Argument<string>("module") { Description = "NAME or NAME@VERSION (the latest version that is not deprecated by default)." };
        var into = new Option<string>("--into") { Description = "The module tree to install into; `modulus serve` on it picks the module up.", DefaultValueFactory = _ => "modules" };
        var force = new Option<bool>("--force") { Description = "Replace the module's folder when it is already there." };
        var access = new RegistryAccess();
        var json = CommonOptions.Json();
        var command = new Command("install", "Download a published module, verify it against the chain and unpack it into a module tree.")
        {
            target, into, force, access.Registry, json,
        };
        access.AddChainOptions(command);
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, async () =>
        {
            var (name, version) = SplitTarget(parse.GetValue(target)!);
            var contracts = access.ReadOnly(parse);
            using var registry = access.Client(parse);
            var progress = new Progress(output.Error, quiet: parse.GetValue(json));

            progress.Step($"Resolving {parse.GetValue(target)} at {registry.Url}");
            var resolved = await registry.ResolveAsync(name, version, cancellationToken).ConfigureAwait(false);
            progress.Done($"{resolved.Name}@{resolved.Version}{(resolved.Deprecated ? " (deprecated)" : string.Empty)}");

            // The chain, not the registry service, says what the bytes must be.
            var published = await contracts.GetVersionAsync(resolved.Name, resolved.Version).ConfigureAwait(false);
            var chainHash = ContentHash.FromBytes32(published.ContentHash);

            progress.Step($"Downloading sha256 {chainHash}");
            var bytes = await registry.GetPackageAsync(chainHash, new Progress<long>(got => progress.Percent(got, got)), cancellationToken).ConfigureAwait(false);
            progress.Done($"{bytes.Length:N0} bytes");

            var tree = Path.GetFullPath(parse.GetValue(into)!);
            var folder = Path.Combine([tree, .. resolved.Name.Split('.')]);
            if (Directory.Exists(folder) && !parse.GetValue(force))
            {
                return output.Usage($"{folder} already exists; pass --force to replace it with {resolved.Name}@{resolved.Version}");
            }

            progress.Step($"Verifying against the chain and unpacking into {folder}");
            var unpacked = ModulePackage.Unpack(bytes, chainHash, folder, overwrite: parse.GetValue(force));
            progress.Done("done");

            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new { name = resolved.Name, version = resolved.Version, sha256 = chainHash, directory = folder, files = unpacked.Files },
                    CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"Installed {resolved.Name}@{resolved.Version} into {folder} ({unpacked.Files.Count} files, sha256 {chainHash} as on chain)");
            output.Out.WriteLine($"Serve it with `modulus serve {parse.GetValue(into)}`.");
            return 0;
        }));
        return command;
    }

    /// <summary>NAME or NAME@VERSION.</summary>
    public static (string Name, string? Version) SplitTarget(string target)
    {
        var at = target.IndexOf('@', StringComparison.Ordinal);
        if (at == 0 || at == target.Length - 1)
        {
            throw new FormatException($"\"{target}\" is not NAME or NAME@VERSION, e.g. text.stats or text.stats@1.0.0");
        }

        return at < 0 ? (target, null) : (target[..at], target[(at + 1)..]);
    }
}
