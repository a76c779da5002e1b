using System.Globalization;

namespace Modulus.Benchmarks;

/// <summary>The options every benchmark program takes: --cli, --tree, --calls and its own.</summary>
internal sealed class BenchmarkArguments(string[] args)
{
    public string Cli => Text("--cli", "artifacts/cli/modulus");

    public string Tree => Text("--tree", "modules");

    public string Text(string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    public double Number(string name, double fallback) => double.Parse(Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>False (with the reason on stderr) when the published CLI is not there to start a host from.</summary>
    public bool CliExists()
    {
        if (File.Exists(Cli))
        {
            return true;
        }

        Console.Error.WriteLine($"error: {Cli} does not exist; run `make build` first, or pass --cli PATH");
        return false;
    }
}
