using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Modulus.Benchmarks;

/// <summary>`modulus serve` as its own process, as a user runs it: the host measured is never the client's process.</summary>
internal sealed partial record HostProcess(Process Process, IReadOnlyList<string> Addresses, double ReadyMs) : IAsyncDisposable
{
    public string Address(string scheme) => Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal));

    /// <summary>Starts the CLI on free ports and waits for its "Serving ... on ADDRESSES" line.</summary>
    /// <param name="arguments">More options of <c>modulus serve</c> (e.g. <c>--deployment FILE</c>).</param>
    /// <param name="environment">More environment variables (e.g. <c>Modulus__Payments__LedgerFile</c>).</param>
    public static async Task<HostProcess> StartAsync(string cli, string tree, string home, TimeSpan? timeout = null,
        IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(cli, ["serve", tree, "--grpc-port", "0", "--tcp-port", "0", "--udp-port", "0", "--http-port", "0", "--no-watch", .. arguments ?? []])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["MODULUS_HOME"] = home;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var stopwatch = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            if (await process.StandardOutput.ReadLineAsync(cancel.Token) is not { } line)
            {
                await process.WaitForExitAsync(cancel.Token);
                var said = (await errors).Trim().Split('\n').TakeLast(5);
                throw new InvalidOperationException($"modulus serve exited with {process.ExitCode} before serving: {string.Join(" | ", said)}");
            }

            var addresses = AddressPattern().Matches(line).Select(m => m.Value).ToArray();
            if (addresses.Length > 0)
            {
                return new HostProcess(process, addresses, stopwatch.Elapsed.TotalMilliseconds);
            }
        }
    }

    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    [GeneratedRegex(@"(grpc|tcp|udp)://\S+")]
    private static partial Regex AddressPattern();
}
