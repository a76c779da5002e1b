// Measures what the module-runtime issue asks for, on this machine:
//  1. start-up of `modulus serve TREE` (process start to "Serving ..." on stdout, then the first call),
//     cold (empty compile cache) and warm (cache filled by the cold run);
//  2. round-trip time of one trivial call, one call in flight, over gRPC, to a C# and a Python module.
// The host runs as its own process (the published CLI), as a user runs it; the client is this process.
// Usage: Modulus.Benchmarks.RoundTrip [--cli artifacts/cli/modulus] [--tree modules] [--calls 5000] [--warmup 1000]
//        [--transport grpc|tcp|udp] [--modules util.echo,util.pyecho]
using System.Diagnostics;
using Modulus.Benchmarks;
using Modulus.Client;
using Modulus.Sdk;

var arguments = new BenchmarkArguments(args);
var (cli, tree) = (arguments.Cli, arguments.Tree);
var calls = (int)arguments.Number("--calls", 5000);
var warmup = (int)arguments.Number("--warmup", 1000);
var firstModule = arguments.Text("--modules", "util.echo").Split(',')[0];
if (!arguments.CliExists())
{
    return 2;
}

const string Payload = "ping-16-bytes-..";
var home = Path.Combine(Path.GetTempPath(), "modulus-rtt-" + Environment.ProcessId);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
Console.WriteLine($"tree: {Path.GetFullPath(tree)}; calls per case: {calls} after {warmup} warm-up calls; one call in flight");
Console.WriteLine();

try
{
    var (cold, coldFirstCall) = await StartAndCallAsync(cli, tree, home, firstModule);
    await cold.DisposeAsync();
    var (warm, warmFirstCall) = await StartAndCallAsync(cli, tree, home, firstModule);
    Console.WriteLine("| serve start-up | to 'Serving' line | to first call answered |");
    Console.WriteLine("|---|---|---|");
    Console.WriteLine($"| cold (empty compile cache) | {cold.ReadyMs:0} ms | {coldFirstCall:0} ms |");
    Console.WriteLine($"| warm (compiled modules cached) | {warm.ReadyMs:0} ms | {warmFirstCall:0} ms |");
    Console.WriteLine();

    await using (warm)
    {
        var transport = arguments.Text("--transport", "grpc");
        await using var client = ModulusClient.Connect(warm.Address(transport));
        Console.WriteLine($"| trivial call over {transport} | p50 | p90 | p99 | mean |");
        Console.WriteLine("|---|---|---|---|---|");
        // Alternate rounds between the modules so that drift on a noisy machine hits both alike.
        var modules = arguments.Text("--modules", "util.echo,util.pyecho").Split(',');
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
            var samples = results[module];
            Console.WriteLine($"| {module} (\"{Payload}\") | {HostProcess.Percentile(samples, 0.50):0.0} µs | {HostProcess.Percentile(samples, 0.90):0.0} µs | {HostProcess.Percentile(samples, 0.99):0.0} µs | {samples.Average():0.0} µs |");
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

static async Task<(HostProcess Host, double FirstCallMs)> StartAndCallAsync(string cli, string tree, string home, string module)
{
    var started = Stopwatch.StartNew();
    var host = await HostProcess.StartAsync(cli, tree, home);
    await using var client = ModulusClient.Connect(host.Address("grpc"));
    await client.CallAsync(module, "first");
    return (host, started.Elapsed.TotalMilliseconds);
}
