using System.Text.Json;
using Modulus.Testing;
using Value = Modulus.Sdk.Value;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// The registry as a user meets it: publish a module, install it on a second host into an empty
/// tree, serve and call it, stake and vote, and see search rank it; and a tampered package refused.
/// </summary>
public sealed class RegistryEndToEndTests : IAsyncLifetime
{
    private RegistryNetwork _network = null!;
    private readonly TempTree _secondHost = new();

    public async Task InitializeAsync() => _network = await RegistryNetwork.StartAsync();

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        _secondHost.Dispose();
    }

    [Fact]
    public async Task Publish_Install_Serve_Call_Stake_Vote_ChangesTheRanking()
    {
        var publish = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "text", "stats"), "--name", "text.stats", "--json");
        Assert.True(publish.ExitCode == 0, publish.ToString());
        var published = JsonDocument.Parse(publish.Out).RootElement;
        Assert.Equal("1.0.0", published.GetProperty("version").GetString());
        Assert.Equal(["commit", "claim", "publish"], published.GetProperty("transactions").EnumerateArray().Select(t => t.GetProperty("step").GetString()));

        // Publishing the same folder again changes nothing and succeeds.
        var again = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "text", "stats"), "--name", "text.stats", "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(JsonDocument.Parse(again.Out).RootElement.GetProperty("transactions").EnumerateArray());

        // The registry's record of it: owner dev0, one live version with the published hash.
        await _network.CaughtUpAsync();
        var info = await _network.RunAsync("info", "--registry", _network.Registry.Address!, "text.stats", "--json");
        Assert.True(info.ExitCode == 0, info.ToString());
        var record = JsonDocument.Parse(info.Out).RootElement;
        Assert.Equal(_network.Keys.Get("dev0").Address, record.GetProperty("summary").GetProperty("owner").GetString(), ignoreCase: true);
        Assert.Equal(published.GetProperty("sha256").GetString(), record.GetProperty("versions")[0].GetProperty("contentHash").GetString());

        var echo = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "util", "echo"), "--name", "util.echo", "--key", "dev1");
        Assert.True(echo.ExitCode == 0, echo.ToString());
        await _network.CaughtUpAsync();

        // A second host: an empty tree, the module installed from the registry, served, called.
        var install = await _network.RunAsync("install", "text.stats", "--into", _secondHost.Root);
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.True(File.Exists(Path.Combine(_secondHost.Root, "text", "stats", "module.py")));
        await using (var host = await Modulus.Testing.TestHost.StartAsync(_secondHost))
        {
            var result = await host.Client.CallAsync("text.stats", "Modulus serves modules. It is fast.");
            Assert.Equal(6, result.AsMap()["words"].AsInt());
        }

        // Stake decides the ranking: util.echo first with more stake, then text.stats after votes and stake.
        var stakeEcho = await _network.RunAsync("stake", "util.echo", "50", "--key", "dev1");
        Assert.True(stakeEcho.ExitCode == 0, stakeEcho.ToString());
        await _network.CaughtUpAsync();
        Assert.Equal(["util.echo", "text.stats"], await RankedAsync("stake"));

        var stake = await _network.RunAsync("stake", "text.stats", "200", "--key", "dev2");
        Assert.True(stake.ExitCode == 0, stake.ToString());
        var vote = await _network.RunAsync("vote", "up", "text.stats", "--key", "dev2");
        Assert.True(vote.ExitCode == 0, vote.ToString());
        await _network.CaughtUpAsync();
        Assert.Equal(["text.stats", "util.echo"], await RankedAsync("stake"));
        Assert.Equal(["text.stats", "util.echo"], await RankedAsync("votes"));

        // Unstaking lowers the live vote at once, and the ranking follows.
        var unstake = await _network.RunAsync("unstake", "text.stats", "200", "--key", "dev2");
        Assert.True(unstake.ExitCode == 0, unstake.ToString());
        await _network.CaughtUpAsync();
        Assert.Equal(["util.echo", "text.stats"], await RankedAsync("stake"));
    }

    [Fact]
    public async Task Publish_EveryShippedModule_TheChainRecordsTheHashModulusPackPrints()
    {
        var web3 = new Nethereum.Web3.Web3(_network.Anvil.RpcUrl);
        var contracts = new Modulus.Registry.Chain.RegistryContracts(web3, _network.Deployment);
        foreach (var manifest in Directory.EnumerateFiles(RepositoryPaths.Modules, "module.json", SearchOption.AllDirectories))
        {
            var folder = Path.GetDirectoryName(manifest)!;
            var pack = await _network.RunAsync("pack", folder, "--json");
            Assert.True(pack.ExitCode == 0, pack.ToString());
            var packed = JsonDocument.Parse(pack.Out).RootElement;
            var publish = await _network.RunAsync("publish", folder, "--json");
            Assert.True(publish.ExitCode == 0, publish.ToString());

            var onChain = await contracts.GetVersionAsync(packed.GetProperty("name").GetString()!, packed.GetProperty("version").GetString()!);
            Assert.Equal(packed.GetProperty("sha256").GetString(), Modulus.Modules.ContentHash.FromBytes32(onChain.ContentHash));
        }
    }

    [Fact]
    public async Task TamperedPackage_IsRefusedByInstall_NamingBothHashes()
    {
        var publish = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "util", "echo"), "--name", "util.echo", "--json");
        Assert.True(publish.ExitCode == 0, publish.ToString());
        var hash = JsonDocument.Parse(publish.Out).RootElement.GetProperty("sha256").GetString()!;
        await _network.CaughtUpAsync();

        var stored = Directory.GetFiles(Path.Combine(_network.DataDirectory, "packages"), hash, SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(stored);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(stored, bytes);

        var install = await _network.RunAsync("install", "util.echo", "--into", _secondHost.Root);
        Assert.Equal(1, install.ExitCode);
        var actual = Modulus.Modules.ContentHash.Of(bytes);
        Assert.Contains(hash, install.Error);
        Assert.Contains(actual, install.Error);
        Assert.False(Directory.Exists(Path.Combine(_secondHost.Root, "util", "echo")), "nothing may be unpacked from a tampered package");
    }

    [Fact]
    public async Task BadInputs_GetClearErrors()
    {
        var missing = await _network.RunAsync("install", "no.such.module", "--into", _secondHost.Root);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no.such.module", missing.Error);

        var badAmount = await _network.RunAsync("stake", "util.echo", "lots");
        Assert.True(badAmount.ExitCode == 2, badAmount.ToString());
        Assert.Contains("\"lots\" is not an amount", badAmount.Error);

        var unknown = await _network.RunAsync("stake", "nobody.here", "1");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no module named \"nobody.here\" is registered", unknown.Error);

        var noKey = await _network.RunAsync("stake", "util.echo", "1", "--key", "nobody");
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("no key named \"nobody\"", noKey.Error);

        var noFolder = await _network.RunAsync("publish", Path.Combine(_secondHost.Root, "absent"));
        Assert.Equal(2, noFolder.ExitCode);
        Assert.Contains("does not exist", noFolder.Error);

        var published = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "util", "echo"), "--name", "util.echo");
        Assert.True(published.ExitCode == 0, published.ToString());
        var noStake = await _network.RunAsync("vote", "up", "util.echo", "--key", "dev2");
        Assert.Equal(1, noStake.ExitCode);
        Assert.Contains("no counting stake", noStake.Error);

        using var scratch = new TempTree();
        var other = scratch.CopyAs(Path.Combine(RepositoryPaths.Modules, "util", "pyecho"), "other", "util.echo");
        var republish = await _network.RunAsync("publish", other);
        Assert.Equal(1, republish.ExitCode);
        Assert.Contains("versions are immutable", republish.Error);

        var newer = scratch.CopyAs(Path.Combine(RepositoryPaths.Modules, "text", "stats"), "newer", "util.echo", m => m["version"] = "2.0.0");
        var notOwner = await _network.RunAsync("publish", newer, "--key", "dev1");
        Assert.Equal(1, notOwner.ExitCode);
        Assert.Contains("the name util.echo belongs to", notOwner.Error);

        var mismatch = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "text", "stats"), "--name", "util.echo");
        Assert.Equal(2, mismatch.ExitCode);
        Assert.Contains("module.json says the module is \"text.stats\", but it would be published as \"util.echo\"", mismatch.Error);

        var badName = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, "text", "stats"), "--name", "Text.Stats");
        Assert.Equal(2, badName.ExitCode);
        Assert.False(Modulus.Modules.ModuleName.TryParse("Text.Stats", out _, out var sentence));
        Assert.Contains(sentence, badName.Error);
    }

    private async Task<string[]> RankedAsync(string rank)
    {
        var search = await _network.RunAsync("search", "--rank", rank, "--json");
        Assert.True(search.ExitCode == 0, search.ToString());
        return JsonDocument.Parse(search.Out).RootElement.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray();
    }
}
