using System.Security.Cryptography;
using Modulus.Client;
using Modulus.Registry;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;
using Modulus.Sdk;
using Modulus.Testing;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// A name that keeps answering: three real hosts serve one module and announce it on a real Anvil;
/// a client that calls by name through the registry service loses no call when one host goes away.
/// </summary>
public sealed class FailoverTests : IAsyncLifetime
{
    private const string Module = "fail.where";

    // Answers with the folder it is served from, so the test knows which host ran each call.
    private const string Source = """
        public sealed class Where : Module
        {
            public string Forward(string text) => Environment.Directory + "|" + text;
        }
        """;

    private readonly List<TempTree> _trees = [];
    private readonly List<TestHost> _hosts = [];
    private RegistryNetwork _network = null!;

    public async Task InitializeAsync()
    {
        _network = await RegistryNetwork.StartAsync();
        var owner = Contracts(0);
        await owner.ClaimNameAsync(Module);
        await owner.PublishAsync(Module, "1.0.0", RandomNumberGenerator.GetBytes(32), "sha256:test");
        for (var i = 0; i < 3; i++)
        {
            var tree = new TempTree();
            _trees.Add(tree);
            tree.AddCSharp("where", Source, manifestExtra: $", \"name\": \"{Module}\"");
            var host = await TestHost.StartAsync(tree);
            _hosts.Add(host);
            var tcp = host.Addresses.Single(a => a.StartsWith("tcp://", StringComparison.Ordinal));
            // Each host announces itself from its own account, as separate operators would.
            await Contracts(i).AnnounceAsync(Module, "1.0.0", tcp);
        }

        await _network.CaughtUpAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        foreach (var tree in _trees)
        {
            tree.Dispose();
        }

        await _network.DisposeAsync();
    }

    [Fact]
    public async Task OneOfThreeHostsKilledMidRun_NoCallOfTheLoopIsLost_AndTheCliStillCallsByName()
    {
        using var registry = new RegistryClient(_network.Registry.Address!);
        await using var client = await new ModuleResolver(registry).ConnectAsync(Module);
        Assert.Equal(3, client.Addresses.Count);

        const int Calls = 200;
        var servedBy = new string[Calls];
        string? killed = null;
        for (var i = 0; i < Calls; i++)
        {
            var result = (await client.CallAsync(Module, Value.From($"call {i}"))).AsString();
            var (folder, echo) = (result.Split('|')[0], result.Split('|')[1]);
            Assert.Equal($"call {i}", echo);
            servedBy[i] = folder;
            if (i == Calls / 3)
            {
                // Kill the host that is answering now, so that the next call must find another.
                var index = _trees.FindIndex(t => folder.StartsWith(t.Root, StringComparison.Ordinal));
                Assert.True(index >= 0, $"call {i} was served from {folder}, in none of the hosts' trees");
                killed = _trees[index].Root;
                await _hosts[index].DisposeAsync();
                _hosts.RemoveAt(index);
                _trees[index].Dispose();
                _trees.RemoveAt(index);
            }
        }

        // Every call answered (the loop would have thrown), the killed host served before and never after.
        Assert.Contains(servedBy.Take((Calls / 3) + 1), f => f.StartsWith(killed!, StringComparison.Ordinal));
        Assert.DoesNotContain(servedBy.Skip((Calls / 3) + 1), f => f.StartsWith(killed!, StringComparison.Ordinal));

        // The CLI calls by name the same way: whichever host it tries first, it answers.
        for (var i = 0; i < 3; i++)
        {
            var run = await _network.RunAsync("call", Module, $"cli {i}", "--resolve", "--registry", _network.Registry.Address!);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains($"|cli {i}", run.Out);
        }
    }

    [Fact]
    public async Task EveryHostDown_IsOneUnavailableErrorNamingEachHost()
    {
        using var registry = new RegistryClient(_network.Registry.Address!);
        await using var client = await new ModuleResolver(registry).ConnectAsync(Module);
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        _hosts.Clear();
        var error = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(Module, Value.From("x")));
        Assert.Equal(StatusCode.Unavailable, error.Code);
        foreach (var address in client.Addresses)
        {
            Assert.Contains(address.ToString(), error.Message);
        }

        var run = await _network.RunAsync("call", Module, "x", "--resolve", "--registry", _network.Registry.Address!);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    private RegistryContracts Contracts(int account)
    {
        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[account], 31337), _network.Anvil.RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        return new RegistryContracts(web3, _network.Deployment);
    }
}
