using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;
using Modulus.Testing;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// An index.db cut short or overwritten with junk while the service is down: the restarted service
/// moves it aside, says so in its log, rebuilds the index from the chain and answers search as before.
/// </summary>
public sealed class IndexCorruptionTests : IAsyncLifetime
{
    private RegistryNetwork _network = null!;

    public async Task InitializeAsync() => _network = await RegistryNetwork.StartAsync();

    public async Task DisposeAsync() => await _network.DisposeAsync();

    [Theory]
    [InlineData("cut short")]
    [InlineData("overwritten with junk")]
    public async Task CorruptIndex_IsMovedAside_AndRebuiltFromTheChain_AndSearchAnswersAsBefore(string damage)
    {
        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), _network.Anvil.RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        var contracts = new RegistryContracts(web3, _network.Deployment);
        for (var i = 0; i < 3; i++)
        {
            await contracts.ClaimNameAsync($"corrupt.m{i}");
            await contracts.PublishAsync($"corrupt.m{i}", "1.0.0", RandomNumberGenerator.GetBytes(32), "sha256:test");
        }

        await _network.CaughtUpAsync();
        var before = await _network.RunAsync("search", "corrupt", "--json");
        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.Contains("corrupt.m2", before.Out);

        await _network.Registry.DisposeAsync();
        var index = Path.Combine(_network.DataDirectory, "index.db");
        var length = new FileInfo(index).Length;
        if (damage == "cut short")
        {
            using var file = new FileStream(index, FileMode.Open);
            file.SetLength(length / 3);
        }
        else
        {
            var junk = new byte[length];
            new Random(7).NextBytes(junk);
            await File.WriteAllBytesAsync(index, junk);
        }

        var logs = new CapturingLoggerProvider();
        var server = RegistryServer.Create(
            new RegistryServiceOptions
            {
                Port = 0,
                RpcUrl = _network.Anvil.RpcUrl,
                Deployment = _network.Deployment,
                DataDirectory = _network.DataDirectory,
                PollInterval = TimeSpan.FromMilliseconds(100),
            },
            logging => logging.AddProvider(logs));
        await server.StartAsync();
        _network.ReplaceRegistry(server);

        var warning = Assert.Single(logs.Entries, e => e.EventName == "IndexCorrupt");
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("rebuilding it from the chain", warning.Message);
        var aside = Assert.Single(Directory.GetFiles(_network.DataDirectory, "index.db.corrupt-*"));
        Assert.Contains(Path.GetFileName(aside), warning.Message);

        await _network.CaughtUpAsync();
        var after = await _network.RunAsync("search", "corrupt", "--json");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(before.Out, after.Out);
    }
}
