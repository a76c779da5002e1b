using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Modulus.Hosting;
using Modulus.Registry.Chain;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus serve [TREE]</c>: serves a module tree until Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create(CliOutput output, Func<Modulus.Client.Keys.KeyRing> keyRing)
    {
        var tree = new Argument<string>("tree") { Description = "The module tree to serve.", DefaultValueFactory = _ => "modules" };
        // No defaults here: a flag given wins over appsettings.json and Modulus__* in the environment,
        // which win over the options' own defaults (127.0.0.1, 7050, 7051, 7052, 7053).
        var host = new Option<string?>("--host") { Description = "The address to listen on (default 127.0.0.1; Modulus:Host)." };
        var grpcPort = new Option<int?>("--grpc-port") { Description = "The gRPC port (default 7050; Modulus:GrpcPort); 0 picks a free one." };
        var tcpPort = new Option<int?>("--tcp-port") { Description = "The raw TCP port, length-prefixed frames (default 7051; Modulus:TcpPort); 0 picks a free one." };
        var udpPort = new Option<int?>("--udp-port") { Description = "The UDP port, one datagram per call (default 7052; Modulus:UdpPort); 0 picks a free one." };
        var httpPort = new Option<int?>("--http-port") { Description = "The port of the OpenAI-compatible HTTP API, base URL http://HOST:PORT/v1 (default 7053; Modulus:HttpPort); 0 picks a free one." };
        var noGrpc = new Option<bool>("--no-grpc") { Description = "Do not serve gRPC." };
        var noTcp = new Option<bool>("--no-tcp") { Description = "Do not serve raw TCP." };
        var noUdp = new Option<bool>("--no-udp") { Description = "Do not serve UDP." };
        var noHttp = new Option<bool>("--no-http") { Description = "Do not serve the OpenAI-compatible HTTP API." };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not reload modules when their files change." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log each compile, import and reload." };
        var announce = new Option<bool>("--announce") { Description = "Announce on chain that this host serves its published modules, and withdraw on shutdown." };
        var announceEndpoint = new Option<string?>("--announce-endpoint") { Description = "The endpoint to announce, when callers reach this host at another address (e.g. grpc://203.0.113.7:7050); defaults to the gRPC address." };
        var access = new RegistryAccess();

        var command = new Command("serve", "Serve every module below TREE over gRPC, TCP and UDP, and its models over an OpenAI-compatible HTTP API; edits are picked up without a restart.")
        {
            tree, host, grpcPort, tcpPort, udpPort, httpPort, noGrpc, noTcp, noUdp, noHttp, noWatch, verbose, announce, announceEndpoint,
        };
        access.AddSigningOptions(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = Path.GetFullPath(parse.GetValue(tree)!);
            if (!Directory.Exists(root))
            {
                return output.Usage($"module tree {root} does not exist; pass a folder of modules (each with a module.json), or create one with `modulus new NAME --into {parse.GetValue(tree)}`");
            }

            void Flags(ModulusServerOptions options)
            {
                if (parse.GetValue(host) is { } address)
                {
                    options.Host = address;
                }

                options.GrpcPort = parse.GetValue(noGrpc) ? null : parse.GetValue(grpcPort) ?? options.GrpcPort;
                options.TcpPort = parse.GetValue(noTcp) ? null : parse.GetValue(tcpPort) ?? options.TcpPort;
                options.UdpPort = parse.GetValue(noUdp) ? null : parse.GetValue(udpPort) ?? options.UdpPort;
                options.HttpPort = parse.GetValue(noHttp) ? null : parse.GetValue(httpPort) ?? options.HttpPort;
            }

            void RuntimeFlags(Modulus.Runtime.ModulusRuntimeOptions runtime)
            {
                runtime.TreeRoot = root;
                if (runtime.Workers.Command is not { Count: > 0 } && CliEnvironment.WorkerCommand() is { } worker)
                {
                    // The CLI runs its workers as its own hidden verb: nothing else to install or find.
                    runtime.Workers.Command = worker;
                }

                if (parse.GetValue(noWatch))
                {
                    runtime.Watch = false;
                }
            }

            RegistryContracts? stakes;
            string? rpcUrl = null;
            try
            {
                stakes = StakeSource(parse, access);
                if (stakes is not null)
                {
                    rpcUrl = access.Chain(parse).RpcUrl;
                }
            }
            catch (DeploymentException ex)
            {
                return output.Usage(ex.Message);
            }

            var level = parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information;
            ModulusServer server;
            try
            {
                server = ModulusServer.Create(Flags, RuntimeFlags, CliConfiguration.Build(), logging => logging
                    .SetMinimumLevel(level)
                    .AddSimpleConsole(console =>
                    {
                        console.SingleLine = true;
                        console.TimestampFormat = "HH:mm:ss ";
                    })
                    .AddFilter("Microsoft.Extensions.Logging.Console", level)
                    .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace),
                    configureServices: services =>
                    {
                        if (stakes is not null)
                        {
                            services.AddSingleton<Modulus.Modules.IStakeOracle>(sp => new ChainStakeOracle(
                                stakes, StakeCacheAge, TimeProvider.System, sp.GetRequiredService<ILogger<ChainStakeOracle>>()));
                        }

                        if (stakes is { Deployment.Escrow: not null })
                        {
                            // Paid calls: vouchers of the deployment's escrow, received and redeemed by the host's own key.
                            Modulus.Registry.Payments.PaymentServiceCollectionExtensions.AddEscrowPayments(services, stakes.Deployment, rpcUrl!, sp =>
                            {
                                _ = sp.GetRequiredService<Modulus.Protocol.Signing.HostIdentity>(); // makes the key on a first start
                                return PayCommands.ReadHostKey(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ModulusServerOptions>>().Value.Identity.KeyFilePath());
                            });
                        }
                    });
            }
            catch (ArgumentException ex)
            {
                return output.Usage(ex.Message);
            }
            catch (InvalidOperationException ex) when (IsUnconvertibleSetting(ex))
            {
                return output.Usage(UnconvertibleSetting(ex));
            }

            await using (server.ConfigureAwait(false))
            {
                try
                {
                    await server.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    return output.Usage($"cannot listen: {ex.Message.TrimEnd('.')}; pick other ports with --grpc-port, --tcp-port, --udp-port and --http-port (0 picks a free one)");
                }
                catch (Microsoft.Extensions.Options.OptionsValidationException ex)
                {
                    return output.Usage(string.Join("; ", ex.Failures));
                }
                catch (InvalidOperationException ex) when (IsUnconvertibleSetting(ex))
                {
                    return output.Usage(UnconvertibleSetting(ex));
                }
                catch (ArgumentException ex)
                {
                    return output.Usage(ex.Message);
                }

                var catalog = server.Catalog;
                // The ports are open and answer already; each module serves as soon as its worker is ready.
                await catalog.ReloadAsync(cancellationToken).ConfigureAwait(false);
                output.Out.WriteLine($"Serving {catalog.Modules.Count} modules from {root} on {string.Join(" ", server.Addresses)}" +
                    (catalog.Faults.Count > 0 ? $" ({catalog.Faults.Count} failed to load, see above)" : string.Empty));
                if (server.HttpAddress is { } http)
                {
                    output.Out.WriteLine($"OpenAI-compatible API at {http}/v1 (models: every module with a streaming generate endpoint)");
                }

                if (server.Services.GetService<Modulus.Registry.Payments.EscrowPaymentGate>() is { } gate)
                {
                    output.Out.WriteLine($"Paid calls: vouchers of escrow {gate.Escrow} for this host {gate.Host.Address} (chain {gate.Host.ChainId}); ledger {gate.Ledger.Path}");
                }

                output.Out.Flush();
                HostAnnouncer? announcer = null;
                if (parse.GetValue(announce))
                {
                    var endpoint = parse.GetValue(announceEndpoint) ?? server.GrpcAddress;
                    if (endpoint is null)
                    {
                        return output.Usage("--announce needs an endpoint: serve gRPC, or pass --announce-endpoint URL");
                    }

                    var announced = await ChainAction.RunAsync(output, async () =>
                    {
                        var contracts = access.Signed(parse, output, keyRing(), out var exit);
                        if (contracts is null)
                        {
                            return exit;
                        }

                        announcer = new HostAnnouncer(contracts, endpoint);
                        var outcomes = await announcer.AnnounceAsync(ServedModules(catalog), cancellationToken).ConfigureAwait(false);
                        foreach (var outcome in outcomes.Where(o => !o.Announced))
                        {
                            output.Error.WriteLine($"not announced: {outcome.Reason}");
                        }

                        output.Out.WriteLine($"Announced {announcer.Announced.Count} of {outcomes.Count} modules at {endpoint} from {contracts.Account}");
                        output.Out.Flush();
                        return 0;
                    }).ConfigureAwait(false);
                    if (announced != 0)
                    {
                        return announced;
                    }
                }

                try
                {
                    await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                if (announcer is { Announced.Count: > 0 })
                {
                    // Withdraw even though shutdown was requested: the chain must not point callers at a stopped host.
                    using var withdrawal = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    var withdrawn = await ChainAction.RunAsync(output, async () =>
                    {
                        var count = await announcer.WithdrawAllAsync(withdrawal.Token).ConfigureAwait(false);
                        output.Out.WriteLine($"Withdrew {count} announcements.");
                        return 0;
                    }).ConfigureAwait(false);
                    if (withdrawn != 0)
                    {
                        return withdrawn;
                    }
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>How long a caller's stake, read from the chain for access mode "stake", is reused.</summary>
    private static readonly TimeSpan StakeCacheAge = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The chain that answers access mode "stake": the one named by --deployment, --rpc or
    /// $MODULUS_DEPLOYMENT, else the one `modulus chain up` wrote, if any. Without one the host
    /// serves anyway, and refuses calls to modules that require a stake.
    /// </summary>
    /// <exception cref="DeploymentException">A chain was named and its deployment cannot be read.</exception>
    private static RegistryContracts? StakeSource(ParseResult parse, RegistryAccess access)
    {
        var named = parse.GetResult(access.Deployment) is not null || parse.GetResult(access.Rpc) is not null
            || CliEnvironment.Deployment is not null;
        return named || File.Exists(DeploymentFile.DefaultPath) ? access.ReadOnly(parse) : null;
    }

    /// <summary>The served modules with the content hash of what is served (whatever folder, whatever name the manifest sets).</summary>
    private static IEnumerable<ServedModule> ServedModules(Modulus.Runtime.IModuleCatalog catalog) =>
        catalog.Modules.Select(m => new ServedModule(m.Name, m.Version, m.ContentHash));

    /// <summary>Whether the host could not start because a setting's value is not of its type (the configuration binder's error).</summary>
    private static bool IsUnconvertibleSetting(InvalidOperationException ex) =>
        ex.InnerException is ArgumentException or FormatException && ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal);

    /// <summary>The binder's own sentence (it names the value, the setting and the type), and what to do.</summary>
    private static string UnconvertibleSetting(InvalidOperationException ex) =>
        $"{ex.Message.TrimEnd('.')}: fix that setting (a flag, an environment variable with __ for each :, or appsettings.json)";
}
