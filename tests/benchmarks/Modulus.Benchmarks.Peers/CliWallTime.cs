using System.Diagnostics;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// How long a verb of the published CLI takes, wall time of the whole process, against the running
/// host, beside <c>modulus --version</c> (the cost of starting the process at all). Runs alternate
/// between the commands, so a noisy moment falls on all of them.
/// </summary>
internal static class CliWallTime
{
    public static async Task MeasureAsync(Report report, string cli, string tcpAddress, string grpcAddress, bool quick)
    {
        var commands = new (string Name, string[] Args)[]
        {
            ("modulus --version", ["--version"]),
            ("modulus ls (tcp, the default)", ["ls", "--url", tcpAddress]),
            ("modulus call bench.echo (tcp, the default)", ["call", "bench.echo", "hello", "--url", tcpAddress]),
            ("modulus ls --url grpc://…", ["ls", "--url", grpcAddress]),
            ("modulus call bench.echo --url grpc://…", ["call", "bench.echo", "hello", "--url", grpcAddress]),
        };
        var runs = quick ? 7 : 21;
        var times = commands.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = 0; round < runs + 1; round++)
        {
            foreach (var (name, args) in commands)
            {
                var elapsed = await RunAsync(cli, args).ConfigureAwait(false);
                if (round > 0)
                {
                    // The first round only warms the file cache.
                    times[name].Add(elapsed);
                }
            }
        }

        report.Heading("The CLI");
        report.Paragraph($"Wall time of one `modulus` process from start to exit, {runs} runs each in alternating rounds after one round of warm-up, against the "
            + "Modulus host above (`make cli` publishes the CLI ReadyToRun). The target: every verb within 2× `modulus --version`.");
        var version = Median(times[commands[0].Name]);
        var rows = new List<string[]>();
        foreach (var (name, _) in commands)
        {
            var sorted = times[name].Order().ToArray();
            var median = Median(sorted);
            rows.Add([name, Report.Number(median), Report.Number(sorted[(int)(sorted.Length * 0.9) - 1]), Report.Ratio(median / version)]);
            report.Add("cli", name, "Modulus CLI", "wall time p50", median, "ms");
        }

        report.Table(["command", "p50, ms", "p90, ms", "÷ --version"], rows);
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static async Task<double> RunAsync(string cli, string[] args)
    {
        var start = new ProcessStartInfo(cli, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {cli}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        stopwatch.Stop();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`modulus {string.Join(' ', args)}` failed ({process.ExitCode}): {await errors.ConfigureAwait(false)}");
        }

        _ = await output.ConfigureAwait(false);
        return stopwatch.Elapsed.TotalMilliseconds;
    }
}
