using System.Diagnostics;

namespace Modulus.Testing;

/// <summary>
/// The modulus CLI built beside the tests, run as a child process of its own so that a test can kill
/// it with SIGKILL as a crash would: ready once it prints a line that starts a given way.
/// </summary>
internal sealed class CliChild : IAsyncDisposable
{
    private readonly Process _process;

    private CliChild(Process process, string readyLine)
    {
        _process = process;
        ReadyLine = readyLine;
    }

    /// <summary>The line that said the child was ready ("Serving …", "Registry service on …").</summary>
    public string ReadyLine { get; }

    /// <summary>Starts <c>modulus ARGUMENTS</c> and waits for its line starting with <paramref name="readyPrefix"/>.</summary>
    /// <exception cref="InvalidOperationException">It exited first; the message carries its standard error.</exception>
    public static async Task<CliChild> StartAsync(IReadOnlyList<string> arguments, string readyPrefix, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "modulus"), arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cancel.Token);
            if (line is null)
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"modulus {string.Join(' ', arguments.Take(2))} exited with {process.ExitCode} before it was ready: {await errors}");
            }

            if (line.StartsWith(readyPrefix, StringComparison.Ordinal))
            {
                // Keep draining stdout, so that the child never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return new CliChild(process, line);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or a power cut.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
