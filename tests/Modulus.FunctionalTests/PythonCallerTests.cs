using System.Diagnostics;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>The Python caller (module-sdk/python/modulus/client.py) against a real host, over all three transports.</summary>
public sealed class PythonCallerTests(ShippedModulesFixture fixture) : IClassFixture<ShippedModulesFixture>
{
    [Fact]
    public async Task PythonCaller_UnitTestsPass_AgainstTheHostOnEveryTransport()
    {
        var python = Environment.GetEnvironmentVariable("MODULUS_PYTHON") is { Length: > 0 } configured ? configured : "/usr/bin/python3";
        var sdk = Path.Combine(RepositoryPaths.Root, "module-sdk", "python");
        var info = new ProcessStartInfo(python, ["-m", "unittest", "discover", "-v", "-s", Path.Combine(sdk, "tests")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["PYTHONPATH"] = sdk;
        info.Environment["MODULUS_TEST_URLS"] = string.Join(",", fixture.Host.Addresses);
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var report = await stderr + await stdout;

        Assert.True(process.ExitCode == 0, report);
        Assert.DoesNotContain("skipped", report);
        Assert.Contains("Ran 11 tests", report);
    }
}
