using System.Formats.Tar;
using System.Text;
using Modulus.Modules;
using Modulus.Registry.Chain;
using Modulus.Registry.Packaging;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// Failures a hostile package or an unlucky machine causes, through the real CLI against a real chain:
/// each is one line and an exit code, never a stack trace, and nothing unsafe reaches the terminal or the disk.
/// </summary>
public sealed class CliFailureTests : IAsyncLifetime
{
    private RegistryNetwork _network = null!;
    private string _tree = null!;

    public async Task InitializeAsync()
    {
        _network = await RegistryNetwork.StartAsync();
        _tree = Path.Combine(_network.Home, "tree");
    }

    public async Task DisposeAsync() => await _network.DisposeAsync();

    [Theory]
    [InlineData("long", 2)]
    [InlineData("escape", 2)]
    [InlineData("clash", 2)]
    [InlineData("tree", 1)]
    public async Task HostileOrBlockedInstall_IsOneLineAndAnExitCode_AndWritesNothingUnsafe(string kind, int exitCode)
    {
        var name = $"hostile.{kind}";
        var extra = kind switch
        {
            "long" => new[] { (new string('a', 300) + ".txt", "long") },
            "escape" => [("evil\u001b[2J\u001b]0;owned\u0007.txt", "escape")],
            "clash" => [("data", "a file"), ("data/inner.txt", "and a folder")],
            _ => [],
        };
        var package = Package(name, extra);
        var sha = await new PackageStore(Path.Combine(_network.DataDirectory, "packages")).PutAsync(package);
        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), _network.Anvil.RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        var contracts = new RegistryContracts(web3, _network.Deployment);
        await contracts.ClaimNameAsync(name);
        await contracts.PublishAsync(name, "1.0.0", ContentHash.ToBytes32(sha), "sha256:" + sha);
        await _network.CaughtUpAsync();

        Directory.CreateDirectory(_tree);
        if (kind == "tree")
        {
            // A file where the module's parent folder goes: the tree is in the way.
            await File.WriteAllTextAsync(Path.Combine(_tree, "hostile"), "not a folder");
        }

        var run = await _network.RunAsync("install", name, "--into", _tree);
        Assert.True(run.ExitCode == exitCode, run.ToString());
        // Progress shares standard error; the failure is the one line that says "error:".
        var error = Assert.Single(run.Error.Split('\n'), l => l.Contains("error:", StringComparison.Ordinal));
        Assert.True(error.Length < 600, error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("Exception", error);
        Assert.Contains(kind switch { "long" => "over-long", "escape" => "control characters", "clash" => "both as a file and as the folder", _ => "move what is in the way" }, error);
        Assert.DoesNotContain(run.Out + run.Error, c => c is '\u001b' or '\u0007');
        if (kind == "escape")
        {
            Assert.Contains("\\u001b", error);
        }

        // Nothing of the module reached the tree, not even a staging folder.
        var written = Directory.EnumerateFileSystemEntries(_tree, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        Assert.Equal(kind == "tree" ? ["hostile"] : [], written);

        // The next good command answers.
        var search = await _network.RunAsync("search", "hostile");
        Assert.True(search.ExitCode == 0, search.ToString());
    }

    [Fact]
    public async Task ChainUpOnASecondPortWhileOneRuns_IsOneSentenceNamingTheRunningChain()
    {
        var folder = Path.Combine(_network.Home, "devchain");
        var first = new DevChainOptions { Directory = folder, Port = FreePort() };
        var status = await DevChain.UpAsync(first);
        try
        {
            var second = first with { Port = FreePort() };
            var error = await Assert.ThrowsAsync<DeploymentException>(() => DevChain.UpAsync(second));
            Assert.Contains($"already running (pid {status.Pid} on {status.RpcUrl})", error.Message);
            Assert.Contains("modulus chain down", error.Message);

            // The running chain is untouched and answers `chain up` on its own port.
            var again = await DevChain.UpAsync(first);
            Assert.False(again.Started);
            Assert.Equal(status.Pid, again.Pid);
        }
        finally
        {
            await DevChain.DownAsync(first);
        }
    }

    private static byte[] Package(string name, IEnumerable<(string Path, string Content)> extra)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            void Add(string path, string content) =>
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

            Add("module.json", $$"""{ "name": "{{name}}", "version": "1.0.0", "language": "csharp", "entry": "Module.cs" }""");
            Add("Module.cs", "public sealed class M : Module { public string Forward(string s) => s; }");
            foreach (var (path, content) in extra)
            {
                Add(path, content);
            }
        }

        return buffer.ToArray();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
