using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Modulus.Benchmarks;

/// <summary>`modulus serve` as its own process, as a user runs it: the host measured is never the client's process.</summary>
internal sealed partial record HostProcess(Process Process, IReadOnlyList<string> Addresses, double ReadyMs) : IAsyncDisposable
{
    public string Address(string scheme) => Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal));

    /// <summary>Starts the CLI on free ports and waits for its "Serving ... on ADDRESSES" line.</summary>
    public static async Task<HostProcess> StartAsync(string cli, string tree, string home, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(cli, ["serve", tree, "--grpc-port", "0", "--tcp-port", "0", "--udp-port", "0", "--http-port", "0", "--no-watch"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["MODULUS_HOME"] = home;
        var stopwatch = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cancel.Token) ?? throw new InvalidOperationException("modulus serve exited before serving");
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
