using System.Diagnostics;
using System.Globalization;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// A server under test as its own process: the Modulus host, a Python peer or the floor server. Reads
/// its peak resident memory and CPU time from /proc, so every server is measured the same way.
/// </summary>
internal sealed class ServerProcess(string name, Process process) : IAsyncDisposable
{
    public string Name => name;

    public Process Process => process;

    /// <summary>Starts a program that prints "listening on ..." once it serves; returns that line's rest.</summary>
    public static async Task<(ServerProcess Server, string Listening)> StartAsync(string name, string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // Held open until the harness ends: the floor server stops when its standard input closes.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name}: {program} did not start");
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancel.Token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("listening on ", StringComparison.Ordinal))
                {
                    _ = process.StandardOutput.ReadToEndAsync();
                    return (new ServerProcess(name, process), line["listening on ".Length..]);
                }
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{name} did not say it was listening within {timeout.TotalSeconds:0} s");
        }

        await process.WaitForExitAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"{name} exited with {process.ExitCode} before serving: {(await errors.ConfigureAwait(false)).Trim()}");
    }

    /// <summary>The most resident memory the process has had (VmHWM), in bytes.</summary>
    public long PeakMemoryBytes() => StatusKilobytes("VmHWM:") * 1024;

    /// <summary>Resident memory now (VmRSS), in bytes.</summary>
    public long MemoryBytes() => StatusKilobytes("VmRSS:") * 1024;

    /// <summary>Resident memory now of the process and every process below it (a host's workers), in bytes.</summary>
    public long TreeMemoryBytes() => Tree(process.Id).Sum(pid => StatusKilobytes(pid, "VmRSS:")) * 1024;

    /// <summary>How many processes the tree holds (the host and its workers).</summary>
    public int TreeCount() => Tree(process.Id).Count;

    /// <summary>User plus system CPU time so far.</summary>
    public TimeSpan CpuTime()
    {
        // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command.
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private long StatusKilobytes(string field) => StatusKilobytes(process.Id, field);

    private static List<int> Tree(int root)
    {
        var all = new List<int> { root };
        for (var i = 0; i < all.Count; i++)
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{all[i]}/task"))
            {
                var children = File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                all.AddRange(children.Select(c => int.Parse(c, CultureInfo.InvariantCulture)));
            }
        }

        return all;
    }

    private static long StatusKilobytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
    }
}
