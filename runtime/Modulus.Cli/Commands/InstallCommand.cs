using System.CommandLine;
using System.Text.Json;
using Modulus.Registry;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus install NAME[@VERSION]</c>: the registry library's <see cref="ModuleInstaller"/>, with progress.</summary>
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
            // A malformed NAME[@VERSION] is the user's typo: say so before looking for a chain.
            ModuleResolver.SplitTarget(parse.GetValue(target)!);
            var contracts = access.ReadOnly(parse);
            using var registry = access.Client(parse);
            var progress = new Progress(output.Error, quiet: parse.GetValue(json));
            var result = await new ModuleInstaller(contracts, registry)
                .InstallAsync(parse.GetValue(target)!, parse.GetValue(into)!, parse.GetValue(force), progress, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new { name = result.Name, version = result.Version, sha256 = result.Sha256, directory = result.Directory, files = result.Files },
                    CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"Installed {result.Name}@{result.Version} into {result.Directory} ({result.Files.Count} files, sha256 {result.Sha256} as on chain)");
            output.Out.WriteLine($"Serve it with `modulus serve {parse.GetValue(into)}`.");
            return 0;
        }));
        return command;
    }
}
