using System.Text.Json;
using Modulus.Registry.Chain;
using Modulus.Testing;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// A host announces what it serves, callers find it through the registry (`call --resolve`), and
/// it withdraws on shutdown; a module whose files differ from the published package is not announced.
/// </summary>
public sealed class AnnounceTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private RegistryNetwork _network = null!;

    public async Task InitializeAsync() => _network = await RegistryNetwork.StartAsync();

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task Announced_IsResolvedAndCalled_ChangedFiles_AreNotAnnounced_WithdrawnOnStop()
    {
        foreach (var folder in new[] { "util/echo", "text/stats" })
        {
            var publish = await _network.RunAsync("publish", Path.Combine(RepositoryPaths.Modules, folder));
            Assert.True(publish.ExitCode == 0, publish.ToString());
            _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, folder), folder);
        }

        // A module whose manifest names it, in a folder whose path says something else, is announced under its name.
        var renamed = _tree.CopyAs(Path.Combine(RepositoryPaths.Modules, "util", "pyecho"), "elsewhere/deeper", "custom.named");
        var published = await _network.RunAsync("publish", renamed);
        Assert.True(published.ExitCode == 0, published.ToString());

        // The served text.stats is not what was published: one line more.
        File.AppendAllText(Path.Combine(_tree.Root, "text", "stats", "module.py"), "\n# changed after publishing\n");

        await using var host = await TestHost.StartAsync(_tree);
        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), _network.Anvil.RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        var announcer = new HostAnnouncer(new RegistryContracts(web3, _network.Deployment), host.Address);
        // What `serve --announce` announces: every served module, with the content hash the host computed.
        var outcomes = await announcer.AnnounceAsync(host.Server.Catalog.Modules.Select(m => new ServedModule(m.Name, m.Version, m.ContentHash)));

        Assert.True(outcomes.Single(o => o.Module.Name == "util.echo").Announced);
        Assert.True(outcomes.Single(o => o.Module.Name == "custom.named").Announced, string.Join("; ", outcomes.Select(o => o.Reason)));
        var refused = outcomes.Single(o => o.Module.Name == "text.stats");
        Assert.False(refused.Announced);
        Assert.Contains("the chain records", refused.Reason);

        await _network.CaughtUpAsync();
        var call = await _network.RunAsync("call", "util.echo", "\"hello\"", "--resolve", "--registry", _network.Registry.Address!);
        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Equal("\"hello\"", call.Out.Trim());
        var counts = await HostCountsAsync("util.echo", "text.stats");
        Assert.Equal(new[] { 1, 0 }, counts);

        Assert.Equal(2, await announcer.WithdrawAllAsync());
        await _network.CaughtUpAsync();
        counts = await HostCountsAsync("util.echo", "text.stats");
        Assert.Equal(new[] { 0, 0 }, counts);
        var gone = await _network.RunAsync("call", "util.echo", "\"hello\"", "--resolve", "--registry", _network.Registry.Address!);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("no host has announced util.echo@1.1.0", gone.Error); // the shipped echo's version
    }

    private async Task<int[]> HostCountsAsync(params string[] names)
    {
        var search = await _network.RunAsync("search", "--rank", "name", "--json");
        Assert.True(search.ExitCode == 0, search.ToString());
        var hosts = JsonDocument.Parse(search.Out).RootElement.GetProperty("modules").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("hosts").GetInt32());
        return names.Select(n => hosts[n]).ToArray();
    }
}
