using System.CommandLine;
using System.Text.Json;
using Modulus.Client.Keys;
using Modulus.Registry;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus publish [DIR]</c>: the registry library's <see cref="ModulePublisher"/>, with progress and a table.</summary>
internal static class PublishCommand
{
    public static Command Create(CliOutput output, Func<KeyRing> keyRing)
    {
        var directory = new Argument<string>("dir") { Description = "The module's folder (with its module.json).", DefaultValueFactory = _ => "." };
        var name = new Option<string?>("--name") { Description = "The name to publish under, when module.json has no \"name\"; when it has one, the two must agree." };
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

            var contracts = access.Signed(parse, output, keyRing(), out var exit);
            if (contracts is null)
            {
                return exit;
            }

            using var registry = access.Client(parse);
            var progress = new Progress(output.Error, quiet: parse.GetValue(json));
            var result = await new ModulePublisher(contracts, registry).PublishAsync(folder, parse.GetValue(name), progress, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        name = result.Name,
                        version = result.Version,
                        sha256 = result.Sha256,
                        size = result.Size,
                        packageUri = result.PackageUri,
                        owner = result.Owner,
                        transactions = result.Transactions.Select(t => new { step = t.Step, hash = t.Hash, block = t.Block, gasUsed = t.GasUsed }),
                    },
                    CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"Published {result.Name}@{result.Version} (sha256 {result.Sha256}, {result.Size:N0} bytes)");
            if (result.Transactions.Count > 0)
            {
                var table = new TableWriter("STEP", "TRANSACTION", "BLOCK", "GAS");
                foreach (var t in result.Transactions)
                {
                    table.Add(t.Step, t.Hash, t.Block.ToString(System.Globalization.CultureInfo.InvariantCulture), t.GasUsed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
                }

                table.Write(output.Out);
            }

            return 0;
        }));
        return command;
    }
}
