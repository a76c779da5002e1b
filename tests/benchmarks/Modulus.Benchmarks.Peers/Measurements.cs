using System.Diagnostics;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// The two measurements, each run over all systems in alternating rounds so that drift on a noisy
/// machine (another tenant, a GC, CPU frequency) falls on every system alike.
/// </summary>
internal static class Measurements
{
    /// <summary>
    /// Runs every system through the small cases, one and many calls in flight, before anything is
    /// measured: the JIT's tiering and the pools of client and server settle, so the first case measured
    /// is not the one that pays for them.
    /// </summary>
    public static async Task WarmUpAsync(IReadOnlyList<ICaller> callers, IReadOnlyList<Workload> works, int calls, TimeSpan concurrent)
    {
        var progress = Progress.Start($"warm-up: {callers.Count} systems", callers.Count);
        foreach (var caller in callers)
        {
            foreach (var work in works.Where(caller.Serves))
            {
                for (var i = 0; i < calls; i++)
                {
                    await caller.CallAsync(work, CancellationToken.None).ConfigureAwait(false);
                }

                if (caller is not BareSocketCaller)
                {
                    await RunAsync(caller, work, 8, concurrent).ConfigureAwait(false);
                }
            }

            progress.Step();
        }
    }

    /// <summary>One caller, one call in flight: the time of each call, in microseconds, per system.</summary>
    public static async Task<Dictionary<ICaller, List<double>>> LatencyAsync(Workload work, IReadOnlyList<ICaller> callers, int calls, int warmup, int rounds, Progress progress)
    {
        var samples = callers.ToDictionary(c => c, _ => new List<double>(calls));
        foreach (var caller in callers)
        {
            for (var i = 0; i < warmup; i++)
            {
                await caller.CallAsync(work, CancellationToken.None).ConfigureAwait(false);
            }
        }

        var perRound = Math.Max(1, calls / rounds);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var caller in callers)
            {
                var list = samples[caller];
                for (var i = 0; i < perRound; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await caller.CallAsync(work, CancellationToken.None).ConfigureAwait(false);
                    list.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                }
            }

            progress.Step();
        }

        return samples;
    }

    /// <summary>
    /// Many calls in flight on one caller object (pipelined on one TCP connection, concurrent HTTP/2
    /// streams on one gRPC channel, a pooled connection each over HTTP/1.1) for a fixed time, in rounds.
    /// </summary>
    public static async Task<Dictionary<ICaller, Throughput>> ThroughputAsync(Workload work, IReadOnlyList<ICaller> callers, int inFlight, TimeSpan duration, int rounds, Progress progress)
    {
        var totals = callers.ToDictionary(c => c, _ => new Throughput(0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero));
        foreach (var caller in callers)
        {
            await RunAsync(caller, work, inFlight, TimeSpan.FromMilliseconds(Math.Min(300, duration.TotalMilliseconds / 4))).ConfigureAwait(false);
        }

        var slice = duration / rounds;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var caller in callers)
            {
                var client = Process.GetCurrentProcess().TotalProcessorTime;
                var server = caller.Server.CpuTime();
                var (calls, elapsed) = await RunAsync(caller, work, inFlight, slice).ConfigureAwait(false);
                var sum = totals[caller];
                totals[caller] = new Throughput(
                    sum.Calls + calls,
                    sum.Elapsed + elapsed,
                    sum.ClientCpu + (Process.GetCurrentProcess().TotalProcessorTime - client),
                    sum.ServerCpu + (caller.Server.CpuTime() - server));
            }

            progress.Step();
        }

        return totals;
    }

    private static async Task<(long Calls, TimeSpan Elapsed)> RunAsync(ICaller caller, Workload work, int inFlight, TimeSpan duration)
    {
        long calls = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            while (stopwatch.Elapsed < duration)
            {
                await caller.CallAsync(work, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref calls);
            }
        }));
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (calls, stopwatch.Elapsed);
    }

    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Calls completed in a time, with the CPU the load generator and the server spent on them.</summary>
internal sealed record Throughput(long Calls, TimeSpan Elapsed, TimeSpan ClientCpu, TimeSpan ServerCpu)
{
    public double CallsPerSecond => Calls / Elapsed.TotalSeconds;

    /// <summary>CPU used per second of wall time, in cores (2.0 = both cores of this machine).</summary>
    public double ClientCores => ClientCpu / Elapsed;

    public double ServerCores => ServerCpu / Elapsed;
}
