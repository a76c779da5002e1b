using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Modulus.Hosting;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus serve [TREE]</c>: serves a module tree until Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create(CliOutput output)
    {
        var tree = new Argument<string>("tree") { Description = "The module tree to serve.", DefaultValueFactory = _ => "modules" };
        var host = new Option<string>("--host") { Description = "The address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var grpcPort = new Option<int>("--grpc-port") { Description = "The gRPC port; 0 picks a free one.", DefaultValueFactory = _ => 7050 };
        var tcpPort = new Option<int>("--tcp-port") { Description = "The raw TCP port (length-prefixed frames); 0 picks a free one.", DefaultValueFactory = _ => 7051 };
        var udpPort = new Option<int>("--udp-port") { Description = "The UDP port (one datagram per call); 0 picks a free one.", DefaultValueFactory = _ => 7052 };
        var noGrpc = new Option<bool>("--no-grpc") { Description = "Do not serve gRPC." };
        var noTcp = new Option<bool>("--no-tcp") { Description = "Do not serve raw TCP." };
        var noUdp = new Option<bool>("--no-udp") { Description = "Do not serve UDP." };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not reload modules when their files change." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log each compile, import and reload." };

        var command = new Command("serve", "Serve every module below TREE over gRPC, TCP and UDP; edits are picked up without a restart.")
        {
            tree, host, grpcPort, tcpPort, udpPort, noGrpc, noTcp, noUdp, noWatch, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var root = Path.GetFullPath(parse.GetValue(tree)!);
            if (!Directory.Exists(root))
            {
                return output.Usage($"module tree {root} does not exist; pass a folder of modules (each with a module.json), or create one with `modulus new NAME --into {parse.GetValue(tree)}`");
            }

            int? Port(Option<int> option, Option<bool> off) => parse.GetValue(off) ? null : parse.GetValue(option);
            (string Name, int? Value)[] ports = [("--grpc-port", Port(grpcPort, noGrpc)), ("--tcp-port", Port(tcpPort, noTcp)), ("--udp-port", Port(udpPort, noUdp))];
            foreach (var (name, value) in ports)
            {
                if (value is < 0 or > 65535)
                {
                    return output.Usage($"{name} {value} is not a port; use 0-65535 (0 picks a free one)");
                }
            }

            var options = new ModulusServerOptions
            {
                Host = parse.GetValue(host)!,
                GrpcPort = ports[0].Value,
                TcpPort = ports[1].Value,
                UdpPort = ports[2].Value,
                Runtime = { TreeRoot = root, Watch = !parse.GetValue(noWatch) },
            };
            var level = parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information;
            ModulusServer server;
            try
            {
                server = ModulusServer.Create(options, logging => logging
                    .SetMinimumLevel(level)
                    .AddSimpleConsole(console =>
                    {
                        console.SingleLine = true;
                        console.TimestampFormat = "HH:mm:ss ";
                    })
                    .AddFilter("Microsoft.Extensions.Logging.Console", level)
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
                    return output.Usage($"cannot listen: {ex.Message.TrimEnd('.')}; pick other ports with --grpc-port, --tcp-port and --udp-port (0 picks a free one)");
                }

                var catalog = server.Catalog;
                output.Out.WriteLine($"Serving {catalog.Modules.Count} modules from {root} on {string.Join(" ", server.Addresses)}" +
                    (catalog.Faults.Count > 0 ? $" ({catalog.Faults.Count} failed to load, see above)" : string.Empty));
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
        });
        return command;
    }
}
