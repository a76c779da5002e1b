using System.Diagnostics;
using Modulus.Client.Keys;
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

        // Signed calls: a host of its own whose module "allowed" lets in only the README's vector key,
        // and that key in keystores as the C# key ring (scrypt) and a pbkdf2 wallet write them.
        const string vectorKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        using var tree = new TempTree();
        tree.AddCSharp("allowed", "public sealed class W : Module { public string Forward(CallContext context, string text = \"\") => context.Caller ?? \"anonymous\"; }",
            """, "access": { "mode": "allow", "allow": ["0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"] }""");
        await using var signedHost = await TestHost.StartAsync(tree);
        var keys = new KeyRing(Path.Combine(tree.Root, "..", Path.GetFileName(tree.Root) + "-keys"));
        const string passphrase = "correct horse battery staple";
        var scrypt = keys.ImportPrivateKey("vector", vectorKey, passphrase).Path;
        var pbkdf2 = Path.Combine(keys.Directory, "vector-pbkdf2.json");
        await File.WriteAllTextAsync(pbkdf2, new Nethereum.KeyStore.KeyStorePbkdf2Service().EncryptAndGenerateKeyStoreAsJson(
            passphrase, Convert.FromHexString(vectorKey), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"));
        info.Environment["MODULUS_SIGNED_URLS"] = string.Join(",", signedHost.Addresses);
        info.Environment["MODULUS_TEST_KEYSTORES"] = string.Join(Path.PathSeparator, scrypt, pbkdf2);
        info.Environment["MODULUS_TEST_PASSPHRASE"] = passphrase;
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var report = await stderr + await stdout;

        Assert.True(process.ExitCode == 0, report);
        Assert.DoesNotContain("skipped", report);
        // Every test of the Python caller ran (none skipped): as many as the test files define.
        var defined = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "module-sdk", "python", "tests"), "test_*.py")
            .Sum(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"^\s+def test_", System.Text.RegularExpressions.RegexOptions.Multiline).Count);
        Assert.Contains($"Ran {defined} tests", report);
    }
}
