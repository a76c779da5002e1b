using System.Numerics;
using System.Security.Cryptography;
using Modulus.Registry.Contracts;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Modulus.Registry.Chain;

/// <summary>
/// The registry's contracts as one account sees them: every operation the CLI and the registry
/// service perform, as typed Nethereum messages. A contract revert surfaces as Nethereum's
/// <see cref="SmartContractCustomErrorRevertException"/>, decodable to the error types in <c>Contracts/</c>.
/// </summary>
public sealed class RegistryContracts(IWeb3 web3, RegistryDeployment deployment)
{
    /// <summary>The account that signs the transactions.</summary>
    public string Account => Web3.TransactionManager.Account?.Address ?? throw new InvalidOperationException("This web3 has no account.");

    public RegistryDeployment Deployment { get; } = deployment;

    public IWeb3 Web3 { get; } = web3;

    /// <summary>Claims a name by commit, then reveal in a later block (see ModuleRegistry.sol for why).</summary>
    /// <returns>The receipts of the commit and of the claim.</returns>
    public async Task<(TransactionReceipt Commit, TransactionReceipt Claim)> ClaimNameAsync(string name, CancellationToken cancellationToken = default)
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        var commitment = await QueryAsync<CommitmentOfFunction, byte[]>(Deployment.Registry, new CommitmentOfFunction { Name = name, Claimant = Account, Salt = salt }).ConfigureAwait(false);
        var commit = await SendAsync(Deployment.Registry, new CommitNameFunction { Commitment = commitment }, cancellationToken).ConfigureAwait(false);
        // No wait is needed: once the commit has a receipt its block is sealed, so the reveal
        // can only be mined in a later block, as the contract requires.
        var claim = await SendAsync(Deployment.Registry, new ClaimNameFunction { Name = name, Salt = salt }, cancellationToken).ConfigureAwait(false);
        return (commit, claim);
    }

    public Task<TransactionReceipt> PublishAsync(string name, string version, byte[] contentHash, string packageUri, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Registry, new PublishFunction { Name = name, Version = version, ContentHash = contentHash, PackageUri = packageUri }, cancellationToken);

    public Task<TransactionReceipt> TransferNameAsync(string name, string to, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Registry, new TransferNameFunction { Name = name, To = to }, cancellationToken);

    public Task<TransactionReceipt> DeprecateAsync(string name, string version, string reason, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Registry, new DeprecateFunction { Name = name, Version = version, Reason = reason }, cancellationToken);

    public Task<TransactionReceipt> AnnounceAsync(string name, string version, string endpoint, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Registry, new AnnounceFunction { Name = name, Version = version, Endpoint = endpoint }, cancellationToken);

    public Task<TransactionReceipt> WithdrawHostAsync(string name, string version, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Registry, new WithdrawHostFunction { Name = name, Version = version }, cancellationToken);

    public Task<TransactionReceipt> MintAsync(string to, BigInteger amount, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Token, new MintFunction { To = to, Amount = amount }, cancellationToken);

    public Task<TransactionReceipt> TransferTokensAsync(string to, BigInteger amount, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Token, new TransferFunction { To = to, Value = amount }, cancellationToken);

    /// <summary>Approves the staking contract for the amount, then stakes it.</summary>
    public async Task<TransactionReceipt> StakeAsync(string module, BigInteger amount, CancellationToken cancellationToken = default)
    {
        await SendAsync(Deployment.Token, new ApproveFunction { Spender = Deployment.Staking, Value = amount }, cancellationToken).ConfigureAwait(false);
        return await SendAsync(Deployment.Staking, new StakeFunction { Module = ModuleId.Of(module), Amount = amount }, cancellationToken).ConfigureAwait(false);
    }

    public Task<TransactionReceipt> RequestUnstakeAsync(string module, BigInteger amount, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Staking, new RequestUnstakeFunction { Module = ModuleId.Of(module), Amount = amount }, cancellationToken);

    public Task<TransactionReceipt> WithdrawStakeAsync(string module, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Staking, new WithdrawStakeFunction { Module = ModuleId.Of(module) }, cancellationToken);

    public Task<TransactionReceipt> VoteAsync(string module, VoteDirection direction, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Staking, new VoteFunction { Module = ModuleId.Of(module), Direction = (byte)direction }, cancellationToken);

    /// <summary>Whether anyone owns the name (an unclaimed name's owner is the zero address).</summary>
    public async Task<bool> IsClaimedAsync(string name) =>
        new Nethereum.Hex.HexTypes.HexBigInteger(await OwnerOfAsync(name).ConfigureAwait(false)).Value != 0;

    public Task<string> OwnerOfAsync(string name) => QueryAsync<OwnerOfFunction, string>(Deployment.Registry, new OwnerOfFunction { Name = name });

    /// <summary>The owner as the escrow looks it up: by the name's hash.</summary>
    public Task<string> OwnerOfHashAsync(string name) => QueryAsync<OwnerOfHashFunction, string>(Deployment.Registry, new OwnerOfHashFunction { NameHash = ModuleId.Of(name) });

    internal Task<VersionOutput> GetVersionAsync(string name, string version) =>
        Web3.Eth.GetContractQueryHandler<GetVersionFunction>().QueryDeserializingToObjectAsync<VersionOutput>(new GetVersionFunction { Name = name, Version = version }, Deployment.Registry);

    public Task<List<string>> VersionsAsync(string name) => QueryAsync<VersionsFunction, List<string>>(Deployment.Registry, new VersionsFunction { Name = name });

    public Task<string> HostEndpointAsync(string name, string version, string host) =>
        QueryAsync<HostEndpointFunction, string>(Deployment.Registry, new HostEndpointFunction { Name = name, Version = version, Host = host });

    public Task<BigInteger> BalanceOfAsync(string account) => QueryAsync<BalanceOfFunction, BigInteger>(Deployment.Token, new BalanceOfFunction { Account = account });

    internal Task<PositionOutput> PositionAsync(string module, string staker) =>
        Web3.Eth.GetContractQueryHandler<PositionFunction>().QueryDeserializingToObjectAsync<PositionOutput>(new PositionFunction { Module = ModuleId.Of(module), Staker = staker }, Deployment.Staking);

    internal Task<VoteOutput> VoteOfAsync(string module, string voter) =>
        Web3.Eth.GetContractQueryHandler<VoteOfFunction>().QueryDeserializingToObjectAsync<VoteOutput>(new VoteOfFunction { Module = ModuleId.Of(module), Voter = voter }, Deployment.Staking);

    public Task<BigInteger> TotalStakeAsync(string module) => QueryAsync<TotalStakeFunction, BigInteger>(Deployment.Staking, new TotalStakeFunction { Module = ModuleId.Of(module) });

    public Task<BigInteger> UpWeightAsync(string module) => QueryAsync<UpWeightFunction, BigInteger>(Deployment.Staking, new UpWeightFunction { Module = ModuleId.Of(module) });

    public Task<BigInteger> DownWeightAsync(string module) => QueryAsync<DownWeightFunction, BigInteger>(Deployment.Staking, new DownWeightFunction { Module = ModuleId.Of(module) });

    public Task<BigInteger> TotalHeldAsync() => QueryAsync<TotalHeldFunction, BigInteger>(Deployment.Staking, new TotalHeldFunction());

    private Task<TransactionReceipt> SendAsync<TMessage>(string contract, TMessage message, CancellationToken cancellationToken)
        where TMessage : FunctionMessage, new() => Web3.SendAsync(contract, message, cancellationToken);

    private Task<TOut> QueryAsync<TMessage, TOut>(string contract, TMessage message)
        where TMessage : FunctionMessage, new() => Web3.QueryAsync<TMessage, TOut>(contract, message);
}
