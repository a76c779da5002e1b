using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Index;
using Modulus.Registry.Service;
using Modulus.Testing;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// `modulus registry serve` killed with SIGKILL while it indexes, again and again, then restarted:
/// the index it ends with is exactly the one an uninterrupted service builds.
/// </summary>
public sealed class IndexCrashRecoveryTests : IAsyncLifetime
{
    private const int Modules = 25;
    private const int Kills = 3;

    private RegistryNetwork _network = null!;

    public async Task InitializeAsync() => _network = await RegistryNetwork.StartAsync();

    public async Task DisposeAsync() => await _network.DisposeAsync();

    [Fact]
    public async Task KilledMidIndexing_ResumesFromItsCheckpoint_AndEndsIdenticalToAnUninterruptedIndex()
    {
        var head = await MakeHistoryAsync();
        await _network.CaughtUpAsync();
        var reference = _network.Registry.Services.GetRequiredService<RegistryIndex>().ExportCanonical();

        var data = Path.Combine(_network.Home, "crashing-registry");
        long checkpoint = 0;
        var killedMidway = 0;
        for (var i = 0; i < Kills; i++)
        {
            await using var child = await RegistryChild.StartAsync(_network.DeploymentPath, data);
            using var client = new RegistryClient(child.Address);

            // What a killed service reported as indexed was committed: a restart resumes there, never before.
            var resumed = (await client.GetStatusAsync()).IndexedBlock;
            Assert.True(resumed >= checkpoint, $"restart {i} resumed at block {resumed}, before the {checkpoint} reported indexed before the kill");

            // Kill as soon as it has committed another batch: one block per batch keeps it mid-way.
            var status = await Eventually.WaitForAsync(() => client.GetStatusAsync(), s => s.IndexedBlock > resumed, TimeSpan.FromSeconds(60));
            child.Kill();
            checkpoint = status.IndexedBlock;
            if (checkpoint < head)
            {
                killedMidway++;
            }
        }

        Assert.True(killedMidway > 0, $"every kill came after the service had caught up to block {head}; the test did not interrupt indexing");

        await using (var last = await RegistryChild.StartAsync(_network.DeploymentPath, data))
        {
            using var client = new RegistryClient(last.Address);
            var status = await Eventually.WaitForAsync(() => client.GetStatusAsync(), s => s.IndexedBlock >= head, TimeSpan.FromSeconds(120));
            Assert.True(status.IndexedBlock >= head, $"the restarted service indexed up to {status.IndexedBlock}, not the head {head}");
            last.Kill();
        }

        using var recovered = RegistryIndex.Open(Path.Combine(data, "index.db"), _network.Deployment);
        Assert.Equal(Modules, recovered.ModuleCount);
        Assert.Equal(reference, recovered.ExportCanonical());
    }

    /// <summary>Claims, publishes, stakes, votes, announces and deprecates from three accounts: about 5 blocks per module.</summary>
    private async Task<long> MakeHistoryAsync()
    {
        var accounts = Enumerable.Range(0, 3).Select(i =>
        {
            var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[i], 31337), _network.Anvil.RpcUrl);
            web3.TransactionManager.UseLegacyAsDefault = true;
            return new RegistryContracts(web3, _network.Deployment);
        }).ToArray();

        for (var i = 0; i < Modules; i++)
        {
            var owner = accounts[i % 3];
            var name = $"crash.m{i:D2}";
            await owner.ClaimNameAsync(name);
            await owner.PublishAsync(name, "1.0.0", RandomNumberGenerator.GetBytes(32), "sha256:test");
            var staker = accounts[(i + 1) % 3];
            await staker.StakeAsync(name, (i + 1) * BigInteger.Pow(10, 18));
            await staker.VoteAsync(name, i % 2 == 0 ? VoteDirection.Up : VoteDirection.Down);
            if (i % 5 == 0)
            {
                await owner.AnnounceAsync(name, "1.0.0", $"grpc://127.0.0.1:{7000 + i}");
                await owner.PublishAsync(name, "1.1.0", RandomNumberGenerator.GetBytes(32), "sha256:test");
                await owner.DeprecateAsync(name, "1.0.0", "superseded");
            }
        }

        return (long)(await accounts[0].Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
    }

    /// <summary>`modulus registry serve` as its own process, so that it can be killed like a crashed server.</summary>
    private sealed class RegistryChild(CliChild child) : IAsyncDisposable
    {
        public string Address { get; } = child.ReadyLine["Registry service on ".Length..].Split(',')[0];

        public static async Task<RegistryChild> StartAsync(string deploymentPath, string data) => new(await CliChild.StartAsync(
            ["registry", "serve", "--deployment", deploymentPath, "--data", data, "--port", "0", "--batch-blocks", "1", "--poll", "0.05"],
            "Registry service on ",
            TimeSpan.FromSeconds(60)));

        /// <summary>SIGKILL: no shutdown code runs, as in a crash or a power cut of the process.</summary>
        public void Kill() => child.Kill();

        public ValueTask DisposeAsync() => child.DisposeAsync();
    }
}
