using System.CommandLine;

namespace Modulus.Cli.Commands;

/// <summary>Options several verbs share.</summary>
internal static class CommonOptions
{
    /// <summary>
    /// The default host address: raw TCP, because a verb over it answers in about two thirds of the
    /// time it takes over gRPC, whose HTTP/2 client set-up dominates a short-lived process (BENCHMARKS.md).
    /// </summary>
    public const string DefaultUrl = "tcp://127.0.0.1:7051";

    public static Option<string> Url() => new("--url")
    {
        Description = "The host to talk to: grpc://HOST:PORT, tcp://HOST:PORT or udp://HOST:PORT. Defaults to $MODULUS_URL, else " + DefaultUrl + ".",
        DefaultValueFactory = _ => CliEnvironment.Url ?? DefaultUrl,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table, for scripts." };
}
