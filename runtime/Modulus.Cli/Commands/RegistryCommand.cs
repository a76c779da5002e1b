using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus registry serve|status</c>: the registry service that indexes the chain and stores packages.</summary>
internal static class RegistryCommand
{
    public static Command Create(CliOutput output)
    {
        var command = new Command("registry", "The registry service: search, resolve and the package store, indexed from the chain.");
        command.Subcommands.Add(Serve(output));
        command.Subcommands.Add(Status(output));
        command.Subcommands.Add(Prune(output));
        return command;
    }

    private static Command Serve(CliOutput output)
    {
        var host = new Option<string>("--host") { Description = "The address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The gRPC port; 0 picks a free one.", DefaultValueFactory = _ => 7060 };
        var data = new Option<string?>("--data") { Description = "The folder for the index (index.db) and the package store; defaults to $MODULUS_HOME/registry." };
        var poll = new Option<double>("--poll") { Description = "Seconds between looks for new blocks.", DefaultValueFactory = _ => 1 };
        var batchBlocks = new Option<int>("--batch-blocks") { Description = "Blocks per log query and per index transaction while catching up.", DefaultValueFactory = _ => 2_000 };
        var confirmations = new Option<int>("--confirmations") { Description = "How deep a block must be before it is indexed: 0 for the development chain, a few on a public chain (ordinary reorganizations then stay out of the index).", DefaultValueFactory = _ => 0 };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log every indexed batch." };
        var access = new RegistryAccess();
        var command = new Command("serve", "Follow the registry contracts into a LiteDB index and serve search, resolve and the package store over gRPC.")
        {
            host, port, data, poll, batchBlocks, confirmations, verbose,
        };
        access.AddChainOptions(command);
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, async () =>
        {
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                return output.Usage($"--port {parse.GetValue(port)} is not a port; use 0-65535 (0 picks a free one)");
            }

            if (parse.GetValue(poll) is <= 0 or double.NaN)
            {
                return output.Usage($"--poll {parse.GetValue(poll)} must be a positive number of seconds");
            }

            if (parse.GetValue(confirmations) < 0)
            {
                return output.Usage($"--confirmations {parse.GetValue(confirmations)} must be 0 or more blocks");
            }

            if (parse.GetValue(batchBlocks) < 1)
            {
                return output.Usage($"--batch-blocks {parse.GetValue(batchBlocks)} must be at least 1");
            }

            var (deployment, rpcUrl) = access.Chain(parse);
            var options = new RegistryServiceOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                RpcUrl = rpcUrl,
                Deployment = deployment,
                PollInterval = TimeSpan.FromSeconds(parse.GetValue(poll)),
                BatchBlocks = parse.GetValue(batchBlocks),
                Confirmations = parse.GetValue(confirmations),
            };
            if (parse.GetValue(data) is { } folder)
            {
                options = options with { DataDirectory = Path.GetFullPath(folder) };
            }

            var level = parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information;
            RegistryServer server;
            try
            {
                server = RegistryServer.Create(options, logging => logging
                    .SetMinimumLevel(level)
                    .AddSimpleConsole(console =>
                    {
                        console.SingleLine = true;
                        console.TimestampFormat = "HH:mm:ss ";
                    })
                    .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            }
            catch (ArgumentException ex)
            {
                return output.Usage(ex.Message);
            }

            await using (server.ConfigureAwait(false))
            {
                try
                {
                    await server.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    return output.Usage($"cannot listen: {ex.Message.TrimEnd('.')}; pick another port with --port (0 picks a free one)");
                }

                output.Out.WriteLine($"Registry service on {server.Address}, following chain {deployment.ChainId} at {rpcUrl} from block {deployment.Block}; data in {options.DataDirectory}");
                output.Out.Flush();
                try
                {
                    await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command Prune(CliOutput output)
    {
        var data = new Option<string?>("--data") { Description = "The registry's data folder; defaults to $MODULUS_HOME/registry." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be deleted; delete nothing." };
        var minAge = new Option<double>("--min-age") { Description = "Keep packages stored less than this many hours ago (publish uploads before its version is on chain).", DefaultValueFactory = _ => 24 };
        var json = CommonOptions.Json();
        var access = new RegistryAccess();
        var command = new Command("prune", "Delete stored packages that no published version references. Run it while `registry serve` is stopped: it reads the service's index.")
        {
            data, dryRun, minAge, json,
        };
        access.AddChainOptions(command);
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, () =>
        {
            if (parse.GetValue(minAge) is < 0 or double.NaN)
            {
                return Task.FromResult(output.Usage($"--min-age {parse.GetValue(minAge)} must be 0 or more hours"));
            }

            var (deployment, _) = access.Chain(parse);
            var folder = parse.GetValue(data) is { } given ? Path.GetFullPath(given) : Path.Combine(Protocol.ModulusHome.Path, "registry");
            var store = new Modulus.Registry.Packaging.PackageStore(Path.Combine(folder, "packages"));
            Modulus.Registry.Index.RegistryIndex index;
            try
            {
                index = Modulus.Registry.Index.RegistryIndex.Open(Path.Combine(folder, "index.db"), deployment);
            }
            catch (IOException ex)
            {
                return Task.FromResult(output.Usage(ex.Message));
            }

            IReadOnlySet<string> referenced;
            IReadOnlyList<Modulus.Registry.Packaging.StoredPackage> pruned;
            using (index)
            {
                referenced = index.PublishedContentHashes();
                pruned = store.Prune(referenced.Contains, TimeSpan.FromHours(parse.GetValue(minAge)), parse.GetValue(dryRun));
                if (!parse.GetValue(dryRun))
                {
                    // What is deleted no longer counts against its uploader's quota: forget its charge.
                    index.ForgetUploads(pruned.Select(p => p.Sha256));
                }
            }

            if (parse.GetValue(json))
            {
                output.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { dryRun = parse.GetValue(dryRun), pruned = pruned.Select(p => new { sha256 = p.Sha256, size = p.Size }) }));
                return Task.FromResult(0);
            }

            var verb = parse.GetValue(dryRun) ? "Would delete" : "Deleted";
            output.Out.WriteLine($"{verb} {pruned.Count} unreferenced packages ({pruned.Sum(p => p.Size):N0} bytes); kept {referenced.Count} referenced by published versions");
            foreach (var package in pruned)
            {
                output.Out.WriteLine($"  sha256 {package.Sha256}  {package.Size:N0} bytes");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command Status(CliOutput output)
    {
        var access = new RegistryAccess();
        var json = CommonOptions.Json();
        var wait = new Option<double?>("--wait")
        {
            Description = "Wait up to this many seconds (default 60) for the service to answer and to index the chain's head, e.g. after publishing.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("status", "Show the deployment the registry service follows and how far it has indexed.") { access.Registry, wait, json };
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, async () =>
        {
            using var client = access.Client(parse);
            var status = parse.GetResult(wait) is null
                ? await client.GetStatusAsync(cancellationToken).ConfigureAwait(false)
                : await CaughtUpAsync(client, TimeSpan.FromSeconds(parse.GetValue(wait) ?? 60), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(Google.Protobuf.JsonFormatter.Default.Format(status));
                return 0;
            }

            var table = new TableWriter("FIELD", "VALUE");
            table.Add("service", client.Url);
            table.Add("chain", status.ChainId);
            table.Add("registry", status.Registry);
            table.Add("staking", status.Staking);
            table.Add("token", status.Token);
            table.Add("indexed block", $"{status.IndexedBlock} of {status.HeadBlock}");
            table.Add("modules", status.ModuleCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.Write(output.Out);
            return 0;
        }));
        return command;
    }

    /// <summary>Polls until the service has indexed the head; while it is starting, an unanswered poll is retried too.</summary>
    private static async Task<Protocol.V1.RegistryStatus> CaughtUpAsync(RegistryClient client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var status = await client.GetStatusAsync(cancellationToken).ConfigureAwait(false);
                if (status.HeadBlock >= 0 && status.IndexedBlock >= status.HeadBlock)
                {
                    return status;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    throw new RegistryServiceException(Grpc.Core.StatusCode.DeadlineExceeded, $"the registry service at {client.Url} indexed block {status.IndexedBlock} of {status.HeadBlock} within {timeout.TotalSeconds:0.#} s; is the chain reachable from it? (see its log)");
                }
            }
            catch (RegistryServiceException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }
    }
}
