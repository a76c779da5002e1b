// Measures what the module-runtime issue asks for, on this machine:
//  1. start-up of `modulus serve TREE` (process start to "Serving ..." on stdout, then the first call),
//     cold (empty compile cache) and warm (cache filled by the cold run);
//  2. round-trip time of one trivial call, one call in flight, over gRPC, to a C# and a Python module.
// The host runs as its own process (the published CLI), as a user runs it; the client is this process.
// Usage: Modulus.Benchmarks.RoundTrip [--cli artifacts/cli/modulus] [--tree modules] [--calls 5000] [--warmup 1000]
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Modulus.Client;
using Modulus.Sdk;

var cli = Option("--cli", "artifacts/cli/modulus");
var tree = Option("--tree", "modules");
var calls = int.Parse(Option("--calls", "5000"), CultureInfo.InvariantCulture);
var warmup = int.Parse(Option("--warmup", "1000"), CultureInfo.InvariantCulture);
if (!File.Exists(cli))
{
    Console.Error.WriteLine($"error: {cli} does not exist; run `make build` first, or pass --cli PATH");
    return 2;
}

var home = Path.Combine(Path.GetTempPath(), "modulus-rtt-" + Environment.ProcessId);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
Console.WriteLine($"tree: {Path.GetFullPath(tree)}; calls per case: {calls} after {warmup} warm-up calls; one call in flight");
Console.WriteLine();

try
{
    var cold = await StartHostAsync(cli, tree, home);
    await cold.DisposeAsync();
    var warm = await StartHostAsync(cli, tree, home);
    Console.WriteLine("| serve start-up | to 'Serving' line | to first call answered |");
    Console.WriteLine("|---|---|---|");
    Console.WriteLine($"| cold (empty compile cache) | {cold.ReadyMs:0} ms | {cold.FirstCallMs:0} ms |");
    Console.WriteLine($"| warm (compiled modules cached) | {warm.ReadyMs:0} ms | {warm.FirstCallMs:0} ms |");
    Console.WriteLine();

    await using (warm)
    {
        await using var client = ModulusClient.Connect(warm.Address);
        Console.WriteLine("| trivial call over gRPC | p50 | p90 | p99 | mean |");
        Console.WriteLine("|---|---|---|---|---|");
        // Alternate rounds between the modules so that drift on a noisy machine hits both alike.
        string[] modules = ["util.echo", "util.pyecho"];
        var results = modules.ToDictionary(m => m, _ => new List<double>());
        foreach (var module in modules)
        {
            await MeasureAsync(client, module, warmup);
        }

        for (var round = 0; round < 10; round++)
        {
            foreach (var module in modules)
            {
                results[module].AddRange(await MeasureAsync(client, module, calls / 10));
            }
        }

        foreach (var module in modules)
        {
            var samples = results[module].ToArray();
            Console.WriteLine($"| {module} (\"{Payload}\") | {Percentile(samples, 0.50):0.0} µs | {Percentile(samples, 0.90):0.0} µs | {Percentile(samples, 0.99):0.0} µs | {samples.Average():0.0} µs |");
        }
    }
}
finally
{
    try { Directory.Delete(home, recursive: true); } catch (IOException) { }
}

return 0;

static async Task<double[]> MeasureAsync(ModulusClient client, string module, int calls)
{
    Value payload = Payload;
    var samples = new double[calls];
    for (var i = 0; i < calls; i++)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await client.CallAsync(module, payload);
        samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (result.AsString() != Payload)
        {
            throw new InvalidOperationException($"{module} answered {result}");
        }
    }

    return samples;
}

static double Percentile(double[] samples, double p)
{
    var sorted = samples.Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

static async Task<HostProcess> StartHostAsync(string cli, string tree, string home)
{
    var info = new ProcessStartInfo(cli, ["serve", tree, "--grpc-port", "0", "--no-watch"])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    info.Environment["MODULUS_HOME"] = home;
    var stopwatch = Stopwatch.StartNew();
    var process = Process.Start(info)!;
    _ = process.StandardError.ReadToEndAsync();
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
    while (true)
    {
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("modulus serve exited before serving");
        var match = Regex.Match(line, @"on (grpc://\S+)");
        if (!match.Success)
        {
            continue;
        }

        var ready = stopwatch.Elapsed.TotalMilliseconds;
        await using var client = ModulusClient.Connect(match.Groups[1].Value);
        await client.CallAsync("util.echo", "first");
        return new HostProcess(process, match.Groups[1].Value, ready, stopwatch.Elapsed.TotalMilliseconds);
    }
}

string Option(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

internal sealed record HostProcess(Process Process, string Address, double ReadyMs, double FirstCallMs) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }
}

internal static partial class Program
{
    internal const string Payload = "ping-16-bytes-..";
}
