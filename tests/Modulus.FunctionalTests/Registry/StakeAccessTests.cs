using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Cli;
using Modulus.Client;
using Modulus.Registry.Chain;
using Modulus.Modules;
using Modulus.Protocol.Signing;
using Modulus.Sdk;
using Modulus.Testing;
using Nethereum.Signer;
using Nethereum.Web3;

namespace Modulus.FunctionalTests.Registry;

/// <summary>Access mode "stake" against the real staking contract: a caller gets in once its stake counts.</summary>
public sealed class StakeAccessTests : IAsyncLifetime
{
    private const string WhoAmI = "public sealed class W : Module { public string Forward(CallContext context, string text = \"\") => context.Caller ?? \"anonymous\"; }";
    private readonly TempTree _tree = new();
    private RegistryNetwork _network = null!;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _network = await RegistryNetwork.StartAsync();
        using var scratch = new TempTree();
        var owner = await _network.RunAsync("publish", scratch.CopyAs(Path.Combine(RepositoryPaths.Modules, "util", "echo"), "gated", "gated.echo"));
        Assert.True(owner.ExitCode == 0, owner.ToString());

        // 10 $GPT, in base units as module.json takes them.
        _tree.AddCSharp("gated/echo", WhoAmI, """, "access": { "mode": "stake", "min_stake": "10000000000000000000" }""");
        var contracts = new RegistryContracts(new Web3(_network.Anvil.RpcUrl), _network.Deployment);
        _host = await TestHost.StartAsync(_tree, services: services => services.AddSingleton<IStakeOracle>(
            new ChainStakeOracle(contracts, TimeSpan.Zero, TimeProvider.System, NullLogger<ChainStakeOracle>.Instance)));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _network.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task CallerBelowTheMinimum_IsRefusedWithItsStake_ThenAdmittedOnceItsStakeCounts()
    {
        var key = CallSigner.FromPrivateKey(Convert.FromHexString(AnvilNode.DevPrivateKeys[1].Replace("0x", string.Empty)));
        await using var client = ModulusClient.Connect(_host.Address, new ModulusClientOptions { Signer = key });

        var none = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("gated.echo", "hi"));
        Assert.Equal(StatusCode.PermissionDenied, none.Code);
        Assert.Contains("has 0 counting stake on gated.echo", none.Message);

        var small = await _network.RunAsync("stake", "gated.echo", "4", "--key", "dev1");
        Assert.True(small.ExitCode == 0, small.ToString());
        await MineAsync();
        var tooLittle = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("gated.echo", "hi"));
        Assert.Contains($"has {4 * BigInteger.Pow(10, 18)} counting stake", tooLittle.Message);

        var more = await _network.RunAsync("stake", "gated.echo", "6", "--key", "dev1");
        Assert.True(more.ExitCode == 0, more.ToString());
        await MineAsync();
        Assert.Equal(key.Address, (await client.CallAsync("gated.echo", "hi")).AsString(), ignoreCase: true);

        // Unstaking stops the stake counting at once, and the door closes again.
        var unstake = await _network.RunAsync("unstake", "gated.echo", "1", "--key", "dev1");
        Assert.True(unstake.ExitCode == 0, unstake.ToString());
        var after = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("gated.echo", "hi"));
        Assert.Equal(StatusCode.PermissionDenied, after.Code);
    }

    /// <summary>A stake counts from the block after it: mine one.</summary>
    private async Task MineAsync() =>
        await new Web3(_network.Anvil.RpcUrl).Client.SendRequestAsync<string>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_mine"));
}
