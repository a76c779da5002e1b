using System.CommandLine;

namespace Modulus.Cli.Commands;

/// <summary>Options several verbs share.</summary>
internal static class CommonOptions
{
    public const string DefaultUrl = "grpc://127.0.0.1:7050";

    public static Option<string> Url() => new("--url")
    {
        Description = "The host to talk to: grpc://HOST:PORT, tcp://HOST:PORT or udp://HOST:PORT. Defaults to $MODULUS_URL, else " + DefaultUrl + ".",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MODULUS_URL") is { Length: > 0 } url ? url : DefaultUrl,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table, for scripts." };
}
