using System.Diagnostics;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// Runs a Python program that uses the Python caller (module-sdk/python/modulus/client.py) on the
/// interpreter a user would have: <c>MODULUS_PYTHON</c>, else Debian's /usr/bin/python3.
/// </summary>
internal static class PythonCaller
{
    public static string Interpreter => Environment.GetEnvironmentVariable("MODULUS_PYTHON") is { Length: > 0 } configured ? configured : "/usr/bin/python3";

    /// <summary>Runs <paramref name="script"/> (<c>python3 -c</c>) with <paramref name="args"/>; its standard output, after checking that it exited with 0.</summary>
    public static async Task<string> RunAsync(string script, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(Interpreter, ["-c", script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["PYTHONPATH"] = Path.Combine(RepositoryPaths.Root, "module-sdk", "python");
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the Python program did not finish within {timeout ?? TimeSpan.FromMinutes(1)}: {await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"python exited with {process.ExitCode}: {await stderr}{output}");
        return output;
    }
}
