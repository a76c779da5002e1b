using System.Net;
using System.Net.Sockets;

namespace Modulus.Benchmarks.Peers;

/// <summary>Where things are and how long to measure: the defaults are `make bench`, <c>--quick</c> a short form.</summary>
internal sealed record HarnessOptions(string Cli, string Tree, string Peers, string Python, bool Quick, string Out, string? RegistryReport, string? Notes, int ScaleModules, string Command)
{
    /// <summary>The tree the paid-call section serves (echo.open, echo.signed, echo.paid).</summary>
    public string PaidTree { get; init; } = "tests/benchmarks/modules-paid";

    /// <summary>Only the paid-call section (and its target), for working on it.</summary>
    public bool OnlyPaid { get; init; }

    /// <summary>The GGUF module the text-generation section serves and measures against LLamaSharp in-process.</summary>
    public string GenerateModule { get; init; } = "modules/text/generate";

    /// <summary>Only the text-generation section (and its targets), for working on it.</summary>
    public bool OnlyGeneration { get; init; }

    public int SmallCalls => Quick ? 2_000 : 10_000;

    public int MegabyteCalls => Quick ? 100 : 400;

    public int SixteenMegabyteCalls => Quick ? 12 : 48;

    public TimeSpan ThroughputTime => TimeSpan.FromSeconds(Quick ? 0.4 : 2);
}

/// <summary>
/// The side-by-side run: starts the Modulus host, the Python peers and the floor server as their own
/// processes, measures the same cases on all of them in alternating rounds, and writes the report.
/// </summary>
internal sealed class Harness(HarnessOptions options)
{
    private static readonly int[] Concurrency = [1, 8, 64];
    private readonly Report _report = new();
    private readonly Dictionary<(string Case, string System), double> _p50 = [];
    private readonly Dictionary<(string Case, string System), double> _mean = [];

    public async Task<int> RunAsync()
    {
        var machine = Machine.Describe(options.Python);
        Console.Error.WriteLine($"make bench{(options.Quick ? " --quick" : string.Empty)}: {machine.Summary}");
        if (options.OnlyPaid)
        {
            await new PaidCallBenchmark(options, _report).RunAsync().ConfigureAwait(false);
            Targets();
            Write(machine);
            return 0;
        }

        if (options.OnlyGeneration)
        {
            await new GenerationBenchmark(options, _report).RunAsync().ConfigureAwait(false);
            Targets();
            Write(machine);
            return 0;
        }

        var home = Path.Combine(Path.GetTempPath(), $"modulus-bench-{Environment.ProcessId}");
        var servers = new List<ServerProcess>();
        var callers = new List<ICaller>();
        try
        {
            Console.Error.WriteLine("starting the Modulus host, the Python grpcio and FastAPI peers and the floor server");
            var host = await HostProcess.StartAsync(options.Cli, options.Tree, home).ConfigureAwait(false);
            var modulus = new ServerProcess("Modulus host (`modulus serve`)", host.Process);
            var (grpcPeer, grpcPort) = await ServerProcess.StartAsync("Python grpcio peer", options.Python, [Path.Combine(options.Peers, "grpc_peer.py"), "--port", "0"], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var httpPort = FreePort();
            var (httpPeer, _) = await ServerProcess.StartAsync("FastAPI/uvicorn peer", options.Python, [Path.Combine(options.Peers, "http_peer.py"), "--port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var (floor, floorPorts) = await ServerProcess.StartAsync("floor server (bare sockets, grpc-dotnet, Kestrel)", Environment.ProcessPath!, SelfArguments("floor-server"), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            servers.AddRange([modulus, grpcPeer, httpPeer, floor]);
            var idle = servers.ToDictionary(s => s, s => s.MemoryBytes());
            var floorEndpoints = floorPorts.Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var ports = floorEndpoints.Where(p => p.Key != "unix").ToDictionary(p => p.Key, p => int.Parse(p.Value, System.Globalization.CultureInfo.InvariantCulture));

            var modulusGrpc = new ModulusCaller(Systems.ModulusGrpc, modulus, host.Address("grpc"));
            var modulusTcp = new ModulusCaller(Systems.ModulusTcp, modulus, host.Address("tcp"));
            var modulusUdp = new ModulusCaller(Systems.ModulusUdp, modulus, host.Address("udp"));
            var grpcio = new GrpcPeerCaller(Systems.Grpcio, grpcPeer, int.Parse(grpcPort, System.Globalization.CultureInfo.InvariantCulture), echoOnly: false);
            var fastApi = new HttpPeerCaller(Systems.FastApi, httpPeer, httpPort, echoOnly: false);
            var bareTcp = new BareSocketCaller(Systems.BareTcp, floor, ports["tcp"], udp: false);
            var bareUdp = new BareSocketCaller(Systems.BareUdp, floor, ports["udp"], udp: true);
            var bareUnix = new BareSocketCaller(Systems.BareUnix, floor, floorEndpoints["unix"]);
            var bareGrpc = new GrpcPeerCaller(Systems.BareGrpc, floor, ports["grpc"], echoOnly: true);
            var bareHttp = new HttpPeerCaller(Systems.BareHttp, floor, ports["http"], echoOnly: true);
            callers.AddRange([modulusTcp, modulusUdp, modulusGrpc, grpcio, fastApi, bareTcp, bareUdp, bareGrpc, bareHttp]);
            _bareUnix = bareUnix;

            Header();
            var echo16 = Workload.Echo("echo, 16 B string", FloorServer.EchoBytes);
            var echo1k = Workload.Echo("echo, 1 KB string", 1024);
            var sum1m = Workload.Sum("sum of a 1 MB float32 tensor", 1 << 20);
            var sum16m = Workload.Sum("sum of a 16 MB float32 tensor", 16 << 20);
            var pyEcho = Workload.Echo("Python module: echo, 16 B string", FloorServer.EchoBytes, python: true);
            var pySum = Workload.Sum("Python module: sum of a 1 MB float32 tensor (numpy)", 1 << 20, python: true);
            var echoInProcess = Workload.Echo("in-process module: echo, 16 B string", FloorServer.EchoBytes) with { InProcess = true };
            var sum16mInProcess = Workload.Sum("in-process module: sum of a 16 MB float32 tensor", 16 << 20) with { InProcess = true };

            await Measurements.WarmUpAsync(callers, [echo16, echo1k, pyEcho], options.Quick ? 500 : 3_000, TimeSpan.FromSeconds(options.Quick ? 0.2 : 1)).ConfigureAwait(false);
            _report.Heading("One caller, one call in flight");
            _report.Paragraph("Latency in µs over every call of the run, rounds alternating between systems. \"÷ floor\" is p50 over the p50 of the bare "
                + "floor for the same transport (bare TCP or UDP ping-pong, bare grpc-dotnet echo, bare Kestrel JSON echo for HTTP); \"grpcio ÷\" and \"FastAPI ÷\" "
                + "are the peer's p50 over this row's p50: how many times faster this row is.");
            foreach (var (work, calls, warmup) in new[]
            {
                (echo16, options.SmallCalls, 500), (echo1k, options.SmallCalls, 500), (pyEcho, options.SmallCalls, 500),
                (sum1m, options.MegabyteCalls, 20), (pySum, options.MegabyteCalls, 20), (sum16m, options.SixteenMegabyteCalls, 3),
            })
            {
                await LatencyAsync(work, callers, calls, warmup).ConfigureAwait(false);
            }

            PythonOverhead(echo16, pyEcho);
            await IsolationAsync(echo16, echoInProcess, sum16m, sum16mInProcess, [modulusTcp, modulusUdp, modulusGrpc], modulus).ConfigureAwait(false);
            await bareUnix.DisposeAsync().ConfigureAwait(false);

            _report.Heading("Throughput, many calls in flight");
            _report.Paragraph($"Calls/s with 1, 8 and 64 callers sharing one client: pipelined on one TCP connection (Modulus TCP), concurrent HTTP/2 streams on one "
                + $"channel (gRPC), one socket (Modulus UDP), a pooled connection per call in flight (HTTP/1.1). {options.ThroughputTime.TotalSeconds:0.#} s per "
                + "system and concurrency in two alternating rounds. CPU is cores busy over the run at 64 in flight (this machine has "
                + $"{Environment.ProcessorCount}): the load generator's and the server's.");
            await SmallThroughputAsync(echo16, [modulusTcp, modulusUdp, modulusGrpc, grpcio, fastApi, bareGrpc, bareHttp]).ConfigureAwait(false);
            await SmallThroughputAsync(pyEcho, [modulusTcp, modulusUdp, modulusGrpc, grpcio, fastApi]).ConfigureAwait(false);
            await TensorThroughputAsync([sum1m, sum16m, pySum], [modulusTcp, modulusGrpc, grpcio, fastApi]).ConfigureAwait(false);

            Memory(servers, idle);
            await CliWallTime.MeasureAsync(_report, options.Cli, host.Address("tcp"), host.Address("grpc"), options.Quick).ConfigureAwait(false);
            foreach (var caller in callers)
            {
                await caller.DisposeAsync().ConfigureAwait(false);
            }

            callers.Clear();
            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            servers.Clear();
            await new ScaleBenchmark(options, _report).RunAsync().ConfigureAwait(false);
            await new PaidCallBenchmark(options, _report).RunAsync().ConfigureAwait(false);
            await new GenerationBenchmark(options, _report).RunAsync().ConfigureAwait(false);
            Registry();
            Targets();
            if (options.Notes is { } notes && File.Exists(notes))
            {
                _report.Raw(File.ReadAllText(notes));
            }

            Write(machine);
            return 0;
        }
        finally
        {
            foreach (var caller in callers)
            {
                await caller.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    private void Header()
    {
        _report.Paragraph($"Modulus side by side with a Python grpcio server and a FastAPI/uvicorn server serving the same functions, and with the floors this machine "
            + "allows: a bare socket ping-pong (TCP and UDP), a bare grpc-dotnet echo and a bare Kestrel JSON echo. Every server is its own process on 127.0.0.1; "
            + "the load generator (tests/benchmarks/Modulus.Benchmarks.Peers, C#) is a process of its own too, so client and servers share the machine's cores.");
    }

    private async Task LatencyAsync(Workload work, IReadOnlyList<ICaller> all, int calls, int warmup)
    {
        var callers = all.Where(c => c.Serves(work)).ToArray();
        var progress = Progress.Start($"latency: {work.Name} ({calls:N0} calls × {callers.Length} systems)", 10);
        var samples = await Measurements.LatencyAsync(work, callers, calls, warmup, 10, progress).ConfigureAwait(false);
        _report.Heading(work.Name, 3);
        var tensor = work.Kind == WorkKind.Sum;
        var rows = new List<string[]>();
        foreach (var (caller, list) in samples)
        {
            var p50 = Measurements.Percentile(list, 0.5);
            _p50[(work.Name, caller.Name)] = p50;
            _mean[(work.Name, caller.Name)] = list.Average();
        }

        foreach (var (caller, list) in samples)
        {
            var p50 = Measurements.Percentile(list, 0.5);
            var (p99, p999, mean) = (Measurements.Percentile(list, 0.99), Measurements.Percentile(list, 0.999), list.Average());
            var floor = _p50.GetValueOrDefault((work.Name, Systems.FloorOf(caller.Name)), double.NaN);
            var grpcio = _p50.GetValueOrDefault((work.Name, Systems.Grpcio), double.NaN);
            var fastApi = _p50.GetValueOrDefault((work.Name, Systems.FastApi), double.NaN);
            var megabytesPerSecond = work.PayloadBytes / (1024.0 * 1024.0) / (mean / 1e6);
            var row = new List<string> { caller.Name, Report.Number(p50), Report.Number(p99), Report.Number(p999), Report.Number(mean) };
            if (tensor)
            {
                row.Add(Report.Number(megabytesPerSecond));
            }

            row.AddRange([Systems.IsFloor(caller.Name) ? "floor" : Report.Ratio(p50 / floor), Systems.IsPeer(caller.Name) || Systems.IsFloor(caller.Name) ? string.Empty : Report.Ratio(grpcio / p50), Systems.IsPeer(caller.Name) || Systems.IsFloor(caller.Name) ? string.Empty : Report.Ratio(fastApi / p50)]);
            rows.Add([.. row]);
            foreach (var (metric, value) in new[] { ("p50", p50), ("p99", p99), ("p99.9", p999), ("mean", mean) })
            {
                _report.Add("latency", work.Name, caller.Name, metric, value, "us");
            }

            if (tensor)
            {
                _report.Add("latency", work.Name, caller.Name, "MB/s at one in flight", megabytesPerSecond, "MiB/s");
            }
        }

        var headers = new List<string> { $"{Calls(calls)} calls", "p50", "p99", "p99.9", "mean" };
        if (tensor)
        {
            headers.Add("MiB/s");
        }

        headers.AddRange(["÷ floor", "grpcio ÷", "FastAPI ÷"]);
        _report.Table(headers, rows);

        static string Calls(int calls) => calls.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }

    private void PythonOverhead(Workload csharp, Workload python)
    {
        _report.Heading("A Python module's cost per call", 3);
        _report.Paragraph("The same echo as a C# module (bench.echo) and as a Python module in the host's embedded CPython through pythonnet (bench.pyecho), "
            + "measured in the same alternating rounds: the difference of the p50s is what Python adds per call.");
        var rows = new List<string[]>();
        foreach (var transport in new[] { Systems.ModulusTcp, Systems.ModulusUdp, Systems.ModulusGrpc })
        {
            var (a, b) = (_p50[(csharp.Name, transport)], _p50[(python.Name, transport)]);
            rows.Add([transport, Report.Number(a), Report.Number(b), Report.Number(b - a)]);
            _report.Add("python overhead", python.Name, transport, "added p50", b - a, "us");
        }

        _report.Table(["one call in flight, µs", "C# module p50", "Python module p50", "added by Python"], rows);
    }

    /// <summary>
    /// What a worker process costs: the same module isolated (the default) and in the host
    /// (<c>"isolation": "inprocess"</c>) in one alternating run, the 16 MB tensor beside a bare
    /// loopback TCP stream of 16 MB, and the memory of the host with its workers.
    /// </summary>
    private async Task IsolationAsync(Workload echo, Workload echoInProcess, Workload sum16m, Workload sum16mInProcess, IReadOnlyList<ModulusCaller> modulus, ServerProcess host)
    {
        _report.Heading("Isolation: a module in its worker process beside the same module in the host");
        _report.Paragraph("Every module runs in a worker process of its own unless its manifest says \"isolation\": \"inprocess\". bench.echo and bench.sum "
            + "run in workers; bench.echo-inprocess and bench.sum-inprocess are the same code in the host process. Rounds alternate between the two.");
        await LatencyAsync(echoInProcess, [.. modulus, _bareUnix!], options.SmallCalls, 500).ConfigureAwait(false);
        var unixFloor = _p50[(echoInProcess.Name, Systems.BareUnix)];
        var rows = new List<string[]>();
        foreach (var caller in modulus)
        {
            var (isolated, inProcess) = (_p50[(echo.Name, caller.Name)], _p50[(echoInProcess.Name, caller.Name)]);
            rows.Add([caller.Name, Report.Number(inProcess), Report.Number(isolated), Report.Number(isolated - inProcess)]);
            _report.Add("isolation", echo.Name, caller.Name, "added p50", isolated - inProcess, "us");
            _isolationAdded[caller.Name] = isolated - inProcess;
        }

        _report.Heading("What a worker adds to a trivial call", 3);
        _report.Paragraph($"The floor of one host-to-worker hop is a bare 16-byte ping-pong over a Unix domain socket between two processes, measured in the same rounds: "
            + $"{Report.Number(unixFloor)} µs at p50 on this machine. A call to a worker makes one such round trip more than the same call in the host.");
        _report.Table(["one call in flight, µs", "in-process p50", "isolated p50", "added by isolation"], rows);

        var tcp = modulus.Where(c => c.Name == Systems.ModulusTcp).ToArray();
        var samples = await Measurements.LatencyAsync(sum16mInProcess, tcp, options.SixteenMegabyteCalls, 3, 2, Progress.Start($"latency: {sum16mInProcess.Name}", 2)).ConfigureAwait(false);
        var inProcessMean = samples.Single().Value.Average();
        var isolatedMean = _mean[(sum16m.Name, Systems.ModulusTcp)];
        var floor = StreamFloor.Measure(16 << 20, options.Quick ? 20 : 80);
        static double MiBps(double bytes, double micros) => bytes / 1048576.0 / (micros / 1e6);
        _isolatedTensorMiBps = MiBps(sum16m.PayloadBytes, isolatedMean);
        _report.Heading("A 16 MB tensor over TCP, one call in flight", 3);
        _report.Table(["16 MB over loopback", "mean, µs", "MiB/s"],
        [
            ["bare TCP stream of 16 MB (floor: send, 8-byte reply)", Report.Number(floor), Report.Number(MiBps(16 << 20, floor))],
            ["Modulus TCP, module in the host", Report.Number(inProcessMean), Report.Number(MiBps(sum16m.PayloadBytes, inProcessMean))],
            ["Modulus TCP, module in its worker", Report.Number(isolatedMean), Report.Number(_isolatedTensorMiBps)],
        ]);
        _report.Add("isolation", sum16m.Name, "bare TCP stream", "MiB/s at one in flight", MiBps(16 << 20, floor), "MiB/s");
        _report.Add("isolation", sum16m.Name, "in-process", "MiB/s at one in flight", MiBps(sum16m.PayloadBytes, inProcessMean), "MiB/s");
        _report.Add("isolation", sum16m.Name, "isolated", "MiB/s at one in flight", _isolatedTensorMiBps, "MiB/s");

        // Calls that block their Python thread must not slow a C# module: 200 of them in flight.
        var tcpAddress = modulus.Single(c => c.Name == Systems.ModulusTcp).Address;
        await using (var quiet = Modulus.Client.ModulusClient.Connect(tcpAddress))
        await using (var busy = Modulus.Client.ModulusClient.Connect(tcpAddress))
        {
            var calls = options.Quick ? 400 : 2_000;
            var alone = await EchoP50Async(quiet, calls).ConfigureAwait(false);
            using var stop = new CancellationTokenSource();
            var blocking = Enumerable.Range(0, 200).Select(_ => KeepBlockingAsync(busy, stop.Token)).ToArray();
            await Task.Delay(300).ConfigureAwait(false);
            var loaded = await EchoP50Async(quiet, calls).ConfigureAwait(false);
            stop.Cancel();
            await Task.WhenAll(blocking).ConfigureAwait(false);
            _report.Heading("A C# module while 200 Python calls block", 3);
            _report.Paragraph("bench.echo's p50 over TCP, alone and while 200 calls to bench.pysleep (a Python `time.sleep(0.5)`, called again as each returns) are in flight on another connection.");
            _report.Table(["bench.echo over TCP", "p50, µs"], [["alone", Report.Number(alone)], ["with 200 blocking Python calls in flight", Report.Number(loaded)]]);
            _report.Add("isolation", "echo under blocking Python calls", Systems.ModulusTcp, "p50 alone", alone, "us");
            _report.Add("isolation", "echo under blocking Python calls", Systems.ModulusTcp, "p50 with 200 blocking", loaded, "us");
            _blockingRatio = loaded / alone;
        }

        _report.Heading("Memory of the host and its workers", 3);
        var (count, tree, own) = (host.TreeCount(), host.TreeMemoryBytes() / 1048576.0, host.MemoryBytes() / 1048576.0);
        _report.Paragraph($"Resident now: the host {Report.Number(own)} MiB; the host with its {count - 1} workers {Report.Number(tree)} MiB "
            + $"({Report.Number((tree - own) / Math.Max(1, count - 1))} MiB per worker on average; the Python workers carry an interpreter and numpy each).");
        _report.Add("memory", "isolation", "Modulus host", "resident, host only", own, "MiB");
        _report.Add("memory", "isolation", "Modulus host", "resident, host and workers", tree, "MiB");
    }

    private double _blockingRatio = double.NaN;

    private static async Task<double> EchoP50Async(Modulus.Client.ModulusClient client, int calls)
    {
        var samples = new List<double>(calls);
        for (var i = 0; i < calls; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await client.CallAsync("bench.echo", "ping").ConfigureAwait(false);
            samples.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return Measurements.Percentile(samples, 0.5);
    }

    private static async Task KeepBlockingAsync(Modulus.Client.ModulusClient client, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await client.CallAsync("bench.pysleep", 0.5).ConfigureAwait(false);
        }
    }

    private readonly Dictionary<string, double> _isolationAdded = [];
    private BareSocketCaller? _bareUnix;
    private double _isolatedTensorMiBps = double.NaN;

    private async Task SmallThroughputAsync(Workload work, IReadOnlyList<ICaller> callers)
    {
        _report.Heading($"{work.Name}: calls/s", 3);
        var results = new Dictionary<(ICaller, int), Throughput>();
        foreach (var inFlight in Concurrency)
        {
            var progress = Progress.Start($"throughput: {work.Name}, {inFlight} in flight × {callers.Count} systems", 2);
            foreach (var (caller, result) in await Measurements.ThroughputAsync(work, callers, inFlight, options.ThroughputTime, 2, progress).ConfigureAwait(false))
            {
                results[(caller, inFlight)] = result;
                _report.Add("throughput", work.Name, caller.Name, $"calls/s at {inFlight} in flight", result.CallsPerSecond, "calls/s");
                _report.Add("throughput", work.Name, caller.Name, $"client cores at {inFlight} in flight", result.ClientCores, "cores");
                _report.Add("throughput", work.Name, caller.Name, $"server cores at {inFlight} in flight", result.ServerCores, "cores");
            }
        }

        double Rate(string system, int inFlight) => results.FirstOrDefault(r => r.Key.Item1.Name == system && r.Key.Item2 == inFlight).Value?.CallsPerSecond ?? double.NaN;
        var rows = callers.Select(c => (IReadOnlyList<string>)
        [
            c.Name, .. Concurrency.Select(n => Report.Number(results[(c, n)].CallsPerSecond)),
            Systems.IsPeer(c.Name) || Systems.IsFloor(c.Name) ? string.Empty : Report.Ratio(results[(c, 64)].CallsPerSecond / Rate(Systems.Grpcio, 64)),
            Systems.IsPeer(c.Name) || Systems.IsFloor(c.Name) ? string.Empty : Report.Ratio(results[(c, 64)].CallsPerSecond / Rate(Systems.FastApi, 64)),
            Report.Number(results[(c, 64)].ClientCores), Report.Number(results[(c, 64)].ServerCores),
        ]).ToList();
        _report.Table(["calls/s", "1 in flight", "8", "64", "÷ grpcio at 64", "÷ FastAPI at 64", "client cores", "server cores"], rows);
        foreach (var c in callers)
        {
            _throughput[(work.Name, c.Name)] = results[(c, 64)].CallsPerSecond;
            _throughput[(work.Name + "@1", c.Name)] = results[(c, 1)].CallsPerSecond;
        }
    }

    private readonly Dictionary<(string Case, string System), double> _throughput = [];

    private async Task TensorThroughputAsync(IReadOnlyList<Workload> works, IReadOnlyList<ICaller> callers)
    {
        _report.Heading("Tensors: MiB/s", 3);
        _report.Paragraph("Tensor bytes moved per second (each call sends the tensor and gets back its sum), with 1 and 8 calls in flight.");
        var columns = new List<string> { "MiB/s" };
        var cells = callers.ToDictionary(c => c, c => new List<string> { c.Name });
        foreach (var work in works)
        {
            var serving = callers.Where(c => c.Serves(work)).ToArray();
            foreach (var inFlight in new[] { 1, 8 })
            {
                columns.Add($"{work.Name.Replace("sum of a ", string.Empty, StringComparison.Ordinal)}, {inFlight} in flight");
                var progress = Progress.Start($"throughput: {work.Name}, {inFlight} in flight × {serving.Length} systems", 2);
                var results = await Measurements.ThroughputAsync(work, serving, inFlight, options.ThroughputTime, 2, progress).ConfigureAwait(false);
                foreach (var caller in callers)
                {
                    var rate = results.TryGetValue(caller, out var r) ? r.CallsPerSecond * work.PayloadBytes / (1024.0 * 1024.0) : double.NaN;
                    cells[caller].Add(Report.Number(rate));
                    if (!double.IsNaN(rate))
                    {
                        _report.Add("tensor throughput", work.Name, caller.Name, $"MiB/s at {inFlight} in flight", rate, "MiB/s");
                        _throughput[($"{work.Name}@{inFlight}", caller.Name)] = rate;
                    }
                }
            }
        }

        _report.Table(columns, cells.Values.Select(c => (IReadOnlyList<string>)c));
    }

    private void Memory(IReadOnlyList<ServerProcess> servers, Dictionary<ServerProcess, long> idle)
    {
        _report.Heading("Server memory");
        _report.Paragraph("Resident memory of each server process (from /proc): after start-up, and the peak over the whole run above (VmHWM), which includes "
            + "16 MB tensors in flight. The floor server holds four servers at once.");
        var rows = new List<string[]>();
        foreach (var server in servers)
        {
            var (before, peak) = (idle[server] / 1048576.0, server.PeakMemoryBytes() / 1048576.0);
            rows.Add([server.Name, Report.Number(before), Report.Number(peak)]);
            _report.Add("memory", "whole run", server.Name, "resident after start-up", before, "MiB");
            _report.Add("memory", "whole run", server.Name, "peak resident", peak, "MiB");
        }

        _report.Table(["process", "after start-up, MiB", "peak, MiB"], rows);
    }

    private void Registry()
    {
        _report.Heading("The registry index at scale");
        if (options.RegistryReport is not { } file || !File.Exists(file))
        {
            _report.Paragraph("Not measured in this run (`make bench-registry` measures it on its own).");
            return;
        }

        _report.Paragraph("From `Modulus.Benchmarks.Registry search`, run by `make bench` before this program: the registry's LiteDB index filled with synthetic "
            + "modules, then search, resolve and get, beside the same queries in plain LiteDB on the same file.");
        var text = File.ReadAllText(file).Replace("\n## ", "\n#### ", StringComparison.Ordinal);
        _report.Raw(text);
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("| resolve", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (double.TryParse(cells[2].Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture, out var p50))
            {
                _resolveP50 = p50;
            }
        }
    }

    private double _resolveP50 = double.NaN;

    private const string GenerationTarget = "text generation, ";

    private const string PaidTarget = "paid call p50 within 1.5× a signed call's (TCP, one in flight)";

    private void Targets()
    {
        double P50(string @case, string system) => _p50.GetValueOrDefault((@case, system), double.NaN);
        double Rate(string @case, string system) => _throughput.GetValueOrDefault((@case, system), double.NaN);
        const string Echo = "echo, 16 B string";
        var rows = new List<(string Target, string Measured, bool Met)>
        {
            ("TCP p50 within 1.3× the bare TCP ping-pong", Report.Ratio(P50(Echo, Systems.ModulusTcp) / P50(Echo, Systems.BareTcp)), P50(Echo, Systems.ModulusTcp) <= 1.3 * P50(Echo, Systems.BareTcp)),
            ("UDP p50 within 1.3× the bare UDP ping-pong", Report.Ratio(P50(Echo, Systems.ModulusUdp) / P50(Echo, Systems.BareUdp)), P50(Echo, Systems.ModulusUdp) <= 1.3 * P50(Echo, Systems.BareUdp)),
            ("gRPC p50 within 1.3× the bare grpc-dotnet echo", Report.Ratio(P50(Echo, Systems.ModulusGrpc) / P50(Echo, Systems.BareGrpc)), P50(Echo, Systems.ModulusGrpc) <= 1.3 * P50(Echo, Systems.BareGrpc)),
            ("TCP over 100,000 calls/s pipelined on one connection", Report.Number(Rate(Echo, Systems.ModulusTcp)) + " calls/s", Rate(Echo, Systems.ModulusTcp) > 100_000),
            ("gRPC over 40,000 calls/s at 64 in flight", Report.Number(Rate(Echo, Systems.ModulusGrpc)) + " calls/s", Rate(Echo, Systems.ModulusGrpc) > 40_000),
            ("gRPC at 64 within 35% of the bare grpc-dotnet echo", Report.Ratio(Rate(Echo, Systems.ModulusGrpc) / Rate(Echo, Systems.BareGrpc)) + " of it", Rate(Echo, Systems.ModulusGrpc) >= 0.65 * Rate(Echo, Systems.BareGrpc)),
            ("Python module under 5 µs added per call (TCP, p50)", Report.Number(P50("Python module: echo, 16 B string", Systems.ModulusTcp) - P50(Echo, Systems.ModulusTcp)) + " µs", P50("Python module: echo, 16 B string", Systems.ModulusTcp) - P50(Echo, Systems.ModulusTcp) < 5),
            ("16 MB tensor over TCP over 1 GB/s", Report.Number(Rate("sum of a 16 MB float32 tensor@8", Systems.ModulusTcp)) + " MiB/s at 8 in flight, " + Report.Number(Rate("sum of a 16 MB float32 tensor@1", Systems.ModulusTcp)) + " at 1", Rate("sum of a 16 MB float32 tensor@8", Systems.ModulusTcp) * 1.048576 > 1000),
            ("small-call throughput ≥ 10× the grpcio peer (best Modulus transport at 64)", Report.Ratio(BestModulus(Echo) / Rate(Echo, Systems.Grpcio)), BestModulus(Echo) >= 10 * Rate(Echo, Systems.Grpcio)),
            ("small-call throughput ≥ 20× the FastAPI peer (best Modulus transport at 64)", Report.Ratio(BestModulus(Echo) / Rate(Echo, Systems.FastApi)), BestModulus(Echo) >= 20 * Rate(Echo, Systems.FastApi)),
            ("isolation adds at most 15 µs at p50 on TCP", Report.Number(_isolationAdded.GetValueOrDefault(Systems.ModulusTcp, double.NaN)) + " µs", _isolationAdded.GetValueOrDefault(Systems.ModulusTcp, double.NaN) <= 15),
            ("200 blocking Python calls raise a C# module's p50 at most 2×", Report.Ratio(_blockingRatio), _blockingRatio <= 2),
            ("16 MB tensor to an isolated module over TCP at least 2 GB/s", Report.Number(_isolatedTensorMiBps) + " MiB/s", _isolatedTensorMiBps * 1.048576 >= 2000),
            ("1,000-module tree ready to serve in under 1 s (warm)", Report.Number(ScaleBenchmark.WarmReadyMs) + " ms", ScaleBenchmark.WarmReadyMs < 1000),
            ("registry resolve p50 under 1 ms at the largest index", Report.Number(_resolveP50) + " µs", _resolveP50 < 1000),
            (PaidTarget, PaidRatio(), PaidCallBenchmark.PaidOverSigned.GetValueOrDefault("TCP", double.NaN) <= 1.5),
        };
        foreach (var (system, ratio) in GenerationBenchmark.RateOverFloor)
        {
            rows.Add(($"{GenerationTarget}{system}: one stream's tokens/s ≥ 95% of the floor's (LLamaSharp in-process)", $"{ratio * 100:0.#} %", ratio >= 0.95));
        }

        foreach (var (system, added) in GenerationBenchmark.FirstTokenOverFloorMs)
        {
            rows.Add(($"{GenerationTarget}{system}: time to first token (p50) within 2 ms of the floor's", $"{(added >= 0 ? "+" : string.Empty)}{Report.Number(added)} ms", added <= 2));
        }

        if (options.OnlyPaid)
        {
            rows.RemoveAll(r => r.Target != PaidTarget);
        }

        if (options.OnlyGeneration)
        {
            rows.RemoveAll(r => !r.Target.StartsWith(GenerationTarget, StringComparison.Ordinal));
        }

        _report.Heading("Targets");
        _report.Paragraph("The issue's targets for this 2-core machine against this run's figures (not asserted by tests).");
        _report.Table(["target", "this run", "met"], rows.Select(r => (IReadOnlyList<string>)[r.Target, r.Measured, r.Met ? "yes" : "**no**"]));

        static string PaidRatio() =>
            $"{Report.Ratio(PaidCallBenchmark.PaidOverSigned.GetValueOrDefault("TCP", double.NaN))} (gRPC {Report.Ratio(PaidCallBenchmark.PaidOverSigned.GetValueOrDefault("gRPC", double.NaN))})";

        double BestModulus(string @case) => new[] { Systems.ModulusTcp, Systems.ModulusUdp, Systems.ModulusGrpc }.Max(s => Rate(@case, s));
    }

    private void Write(Machine machine)
    {
        Directory.CreateDirectory(options.Out);
        var markdown = $"# Benchmarks\n\nMeasured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC by `{options.Command}`{(options.Quick ? " (the short form: fewer calls, shorter runs)" : string.Empty)}.\n\n"
            + $"Machine: {machine.Summary}\n\nPeers: {machine.Peers}\n\n" + _report.Markdown;
        File.WriteAllText(Path.Combine(options.Out, "BENCHMARKS.md"), markdown);
        File.WriteAllText(Path.Combine(options.Out, "BENCHMARKS.json"), _report.Json(new { measured = DateTime.UtcNow, command = options.Command, quick = options.Quick, machine = machine.Summary, peers = machine.Peers }));
        Console.Error.WriteLine($"wrote {Path.Combine(options.Out, "BENCHMARKS.md")} and BENCHMARKS.json");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>This program's own command line, for starting itself as the floor server.</summary>
    private static string[] SelfArguments(string verb) =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? [typeof(Harness).Assembly.Location, verb]
            : [verb];
}
