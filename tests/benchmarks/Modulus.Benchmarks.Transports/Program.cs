// Round trip and throughput of a trivial call (util.echo, 16 bytes) over each transport, against a
// host running as its own process, with a bare TCP ping-pong (16 bytes, no framing, no module) in
// the same run as the floor this machine allows.
// Usage: Modulus.Benchmarks.Transports [--cli artifacts/cli/modulus] [--tree modules] [--calls 5000] [--seconds 3]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Modulus.Benchmarks;
using Modulus.Client;
using Modulus.Sdk;

var arguments = new BenchmarkArguments(args);
var (cli, tree) = (arguments.Cli, arguments.Tree);
var calls = (int)arguments.Number("--calls", 5000);
var seconds = arguments.Number("--seconds", 3);
if (!arguments.CliExists())
{
    return 2;
}

const string Payload = "ping-16-bytes-..";
var home = Path.Combine(Path.GetTempPath(), "modulus-transports-" + Environment.ProcessId);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; host and client share the cores");
Console.WriteLine();
try
{
    await using var host = await HostProcess.StartAsync(cli, tree, home);
    var floor = await BarePingPongAsync(calls);
    Console.WriteLine($"| one call in flight ({calls} calls) | p50 | p99 | p50 / bare TCP |");
    Console.WriteLine("|---|---|---|---|");
    Console.WriteLine($"| bare TCP ping-pong, 16 bytes | {HostProcess.Percentile(floor, 0.5):0.0} µs | {HostProcess.Percentile(floor, 0.99):0.0} µs | 1.00 |");
    var clients = new[] { "grpc", "tcp", "udp" }.ToDictionary(s => s, s => ModulusClient.Connect(host.Address(s)));
    var latencies = clients.Keys.ToDictionary(s => s, _ => new List<double>());
    foreach (var (scheme, client) in clients)
    {
        await LatenciesAsync(client, 500);
    }

    for (var round = 0; round < 10; round++)
    {
        foreach (var (scheme, client) in clients)
        {
            latencies[scheme].AddRange(await LatenciesAsync(client, calls / 10));
        }
    }

    var bare = HostProcess.Percentile(floor, 0.5);
    foreach (var (scheme, samples) in latencies)
    {
        Console.WriteLine($"| Modulus {scheme} | {HostProcess.Percentile(samples, 0.5):0.0} µs | {HostProcess.Percentile(samples, 0.99):0.0} µs | {HostProcess.Percentile(samples, 0.5) / bare:0.00} |");
    }

    Console.WriteLine();
    Console.WriteLine($"| throughput, {seconds:0.#} s each | in flight | calls/s |");
    Console.WriteLine("|---|---|---|");
    foreach (var (scheme, inFlight) in new[] { ("tcp", 1), ("tcp", 64), ("grpc", 64), ("udp", 16) })
    {
        var rate = await ThroughputAsync(clients[scheme], inFlight, TimeSpan.FromSeconds(seconds));
        Console.WriteLine($"| Modulus {scheme}{(scheme == "tcp" && inFlight > 1 ? ", pipelined on one connection" : string.Empty)} | {inFlight} | {rate:N0} |");
    }

    foreach (var client in clients.Values)
    {
        await client.DisposeAsync();
    }
}
finally
{
    try { Directory.Delete(home, recursive: true); } catch (IOException) { }
}

return 0;

static async Task<double[]> LatenciesAsync(ModulusClient client, int calls)
{
    Value payload = Payload;
    var samples = new double[calls];
    for (var i = 0; i < calls; i++)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await client.CallAsync("util.echo", payload);
        samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        if (result.AsString() != Payload)
        {
            throw new InvalidOperationException($"util.echo answered {result}");
        }
    }

    return samples;
}

static async Task<double> ThroughputAsync(ModulusClient client, int inFlight, TimeSpan duration)
{
    Value payload = Payload;
    long done = 0;
    var stopwatch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, inFlight).Select(async _ =>
    {
        while (stopwatch.Elapsed < duration)
        {
            await client.CallAsync("util.echo", payload);
            Interlocked.Increment(ref done);
        }
    });
    await Task.WhenAll(workers);
    return done / stopwatch.Elapsed.TotalSeconds;
}

// The floor: a blocking 16-byte ping-pong over loopback between two threads of this process.
static async Task<double[]> BarePingPongAsync(int calls)
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    var server = Task.Run(() =>
    {
        using var peer = listener.AcceptSocket();
        peer.NoDelay = true;
        var buffer = new byte[16];
        while (true)
        {
            var read = 0;
            while (read < 16)
            {
                var n = peer.Receive(buffer, read, 16 - read, SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                read += n;
            }

            peer.Send(buffer);
        }
    });
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    socket.Connect(IPAddress.Loopback, port);
    var message = new byte[16];
    var reply = new byte[16];
    var samples = new double[calls];
    for (var i = -500; i < calls; i++)
    {
        var started = Stopwatch.GetTimestamp();
        socket.Send(message);
        var read = 0;
        while (read < 16)
        {
            read += socket.Receive(reply, read, 16 - read, SocketFlags.None);
        }

        if (i >= 0)
        {
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
    }

    socket.Shutdown(SocketShutdown.Both);
    await server;
    return samples;
}
