using System.Numerics;
using Modulus.Registry.Chain;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Registry.Tests;

/// <summary>One real Anvil node for the test assembly; every test class deploys its own contracts on it.</summary>
public sealed class AnvilFixture : IAsyncLifetime
{
    public AnvilNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await AnvilNode.StartAsync(new AnvilOptions());

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

[CollectionDefinition("anvil")]
public sealed class AnvilCollection : ICollectionFixture<AnvilFixture>;

/// <summary>Fresh contracts and four funded accounts: the deployer (admin and minter), alice, bob and carol.</summary>
public abstract class ChainTest(AnvilFixture anvil) : IAsyncLifetime
{
    public static readonly BigInteger Gpt = BigInteger.Pow(10, 18);

    public static readonly TimeSpan Cooldown = TimeSpan.FromDays(7);

    protected RegistryContracts Deployer { get; private set; } = null!;

    protected RegistryContracts Alice { get; private set; } = null!;

    protected RegistryContracts Bob { get; private set; } = null!;

    protected RegistryContracts Carol { get; private set; } = null!;

    protected string RpcUrl => anvil.Node.RpcUrl;

    public virtual async Task InitializeAsync()
    {
        var deployerWeb3 = Web3For(0);
        var deployment = await RegistryDeployer.DeployAsync(deployerWeb3, Cooldown);
        Deployer = new RegistryContracts(deployerWeb3, deployment);
        Alice = new RegistryContracts(Web3For(1), deployment);
        Bob = new RegistryContracts(Web3For(2), deployment);
        Carol = new RegistryContracts(Web3For(3), deployment);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    protected Web3 Web3For(int account)
    {
        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[account], 31337), RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        return web3;
    }

    protected Task RpcAsync(string method, params object[] parameters) =>
        Deployer.Web3.Client.SendRequestAsync<object>(new RpcRequest(Guid.NewGuid().ToString(), method, parameters));

    protected Task IncreaseTimeAsync(TimeSpan by) => RpcAsync("evm_increaseTime", (long)by.TotalSeconds).ContinueWith(_ => RpcAsync("evm_mine")).Unwrap();

    /// <summary>The custom error a call reverted with; fails when it did not revert with that error.</summary>
    protected static async Task<TError> RevertsWithAsync<TError>(Func<Task> action) where TError : class, new()
    {
        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(action);
        Assert.True(ex.IsCustomErrorFor<TError>(), $"reverted with {ex.ExceptionEncodedData}, not {typeof(TError).Name}");
        return ex.DecodeError<TError>();
    }
}
