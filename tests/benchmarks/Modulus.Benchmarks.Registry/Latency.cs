using System.Diagnostics;

namespace Modulus.Benchmarks.Registry;

/// <summary>Latencies of one query, in microseconds.</summary>
internal sealed class Latency(string query, List<double> samples)
{
    public string Query { get; } = query;

    public int Count => samples.Count;

    public double Mean => samples.Count == 0 ? double.NaN : samples.Average();

    /// <summary>
    /// Runs <paramref name="run"/> with input i for i = 0, 1, ...: first <paramref name="warmup"/>
    /// times (and half a second) unmeasured, then up to <paramref name="count"/> times measured, stopping early (after
    /// at least 20) once <paramref name="budget"/> is spent. The result is returned and ignored, so
    /// that the call is not optimized away.
    /// </summary>
    public static Latency Measure<T>(string query, int count, int warmup, TimeSpan budget, Func<int, T> run)
    {
        // At least `warmup` calls and at least half a second: tiered JIT compiles the hot path
        // again, optimized, only after a quiet spell, so a few hundred fast calls are not enough.
        var sink = 0;
        var input = 0;
        var warming = Stopwatch.StartNew();
        while (input < warmup || warming.Elapsed < TimeSpan.FromMilliseconds(500))
        {
            sink ^= run(input++)?.GetHashCode() ?? 0;
        }

        var samples = new List<double>(count);
        var total = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var result = run(input++);
            // Raw ticks, not a TimeSpan: a TimeSpan counts in 100 ns units, coarser than the fastest calls.
            samples.Add((Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency);
            sink ^= result?.GetHashCode() ?? 0;
            if (i >= 20 && total.Elapsed > budget)
            {
                break;
            }
        }

        GC.KeepAlive(sink);
        return new Latency(query, samples);
    }

    public double Percentile(double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    /// <summary>Microseconds, with a thousands separator.</summary>
    public static string Format(double microseconds) => double.IsNaN(microseconds)
        ? "-"
        : microseconds.ToString(microseconds < 10 ? "N2" : microseconds < 100 ? "N1" : "N0", System.Globalization.CultureInfo.InvariantCulture);
}
