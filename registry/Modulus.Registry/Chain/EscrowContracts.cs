using System.Numerics;
using Modulus.Registry.Contracts;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;
using Nethereum.Web3;

namespace Modulus.Registry.Chain;

/// <summary>
/// The call escrow and the staking rewards as one account sees them: what a payer (deposit, thaw,
/// withdraw, signers), a host (redeem), a module owner (shares) and a staker (claim) do. Reverts
/// surface as <see cref="SmartContractCustomErrorRevertException"/>; <see cref="ContractErrors"/> words them.
/// </summary>
internal sealed class EscrowContracts
{
    public EscrowContracts(IWeb3 web3, RegistryDeployment deployment)
    {
        Web3 = web3;
        Deployment = deployment;
        Escrow = deployment.Escrow ?? throw new DeploymentException("this deployment has no call escrow; redeploy with `modulus chain down`, remove the chain's state, and `modulus chain up`");
        Signer = new VoucherSigner(deployment.ChainId, Escrow);
    }

    public IWeb3 Web3 { get; }

    public RegistryDeployment Deployment { get; }

    public string Escrow { get; }

    public VoucherSigner Signer { get; }

    public string Account => Web3.TransactionManager.Account?.Address ?? throw new InvalidOperationException("This web3 has no account.");

    /// <summary>Approves the escrow for the amount, then deposits it for the receiver.</summary>
    public async Task<TransactionReceipt> DepositAsync(string receiver, BigInteger amount, CancellationToken cancellationToken = default)
    {
        await SendAsync(Deployment.Token, new ApproveFunction { Spender = Escrow, Value = amount }, cancellationToken).ConfigureAwait(false);
        return await SendAsync(Escrow, new EscrowDepositFunction { Receiver = receiver, Amount = amount }, cancellationToken).ConfigureAwait(false);
    }

    public Task<TransactionReceipt> ThawAsync(string receiver, BigInteger amount, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new EscrowThawFunction { Receiver = receiver, Amount = amount }, cancellationToken);

    public Task<TransactionReceipt> CancelThawAsync(string receiver, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new EscrowCancelThawFunction { Receiver = receiver }, cancellationToken);

    public Task<TransactionReceipt> WithdrawAsync(string receiver, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new EscrowWithdrawFunction { Receiver = receiver }, cancellationToken);

    public Task<TransactionReceipt> AuthorizeSignerAsync(string signer, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new AuthorizeSignerFunction { Signer = signer }, cancellationToken);

    public Task<TransactionReceipt> RevokeSignerAsync(string signer, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new RevokeSignerFunction { Signer = signer }, cancellationToken);

    public Task<TransactionReceipt> SetSharesAsync(string module, ushort hostBps, ushort stakersBps, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new SetSharesFunction { Name = module, HostBps = hostBps, StakersBps = stakersBps }, cancellationToken);

    /// <summary>Redeems signed vouchers addressed to this account, in one transaction.</summary>
    public Task<TransactionReceipt> RedeemAsync(IReadOnlyList<(Voucher Voucher, byte[] Signature)> vouchers, CancellationToken cancellationToken = default) =>
        SendAsync(Escrow, new RedeemFunction { Vouchers = [.. vouchers.Select(v => v.Voucher)], Signatures = [.. vouchers.Select(v => v.Signature)] }, cancellationToken);

    /// <summary>Approves the staking contract, then distributes the amount to the module's stakers.</summary>
    public async Task<TransactionReceipt> DistributeAsync(string module, BigInteger amount, CancellationToken cancellationToken = default)
    {
        await SendAsync(Deployment.Token, new ApproveFunction { Spender = Deployment.Staking, Value = amount }, cancellationToken).ConfigureAwait(false);
        return await SendAsync(Deployment.Staking, new DistributeFunction { Module = ModuleId.Of(module), Amount = amount }, cancellationToken).ConfigureAwait(false);
    }

    public Task<TransactionReceipt> ClaimRewardsAsync(string module, CancellationToken cancellationToken = default) =>
        SendAsync(Deployment.Staking, new ClaimRewardsFunction { Module = ModuleId.Of(module) }, cancellationToken);

    /// <summary>A voucher from this account (the payer) to the receiver, signed with <paramref name="key"/> (the payer's or an authorized signer's).</summary>
    public (Voucher Voucher, byte[] Signature) SignVoucher(EthECKey key, string payer, string receiver, string module, BigInteger cumulativeAmount)
    {
        var voucher = new Voucher { Payer = payer, Receiver = receiver, Module = module, CumulativeAmount = cumulativeAmount };
        return (voucher, Signer.Sign(voucher, key));
    }

    public Task<EscrowAccountOutput> AccountOfAsync(string payer, string receiver) =>
        Web3.Eth.GetContractQueryHandler<EscrowAccountOfFunction>().QueryDeserializingToObjectAsync<EscrowAccountOutput>(new EscrowAccountOfFunction { Payer = payer, Receiver = receiver }, Escrow);

    public Task<BigInteger> RedeemedAsync(string payer, string receiver, string module) =>
        QueryAsync<RedeemedAmountFunction, BigInteger>(Escrow, new RedeemedAmountFunction { Payer = payer, Receiver = receiver, Module = ModuleId.Of(module) });

    public Task<BigInteger> SignerValidUntilAsync(string payer, string signer) =>
        QueryAsync<SignerValidUntilFunction, BigInteger>(Escrow, new SignerValidUntilFunction { Payer = payer, Signer = signer });

    public Task<bool> IsSignerAsync(string payer, string signer) =>
        QueryAsync<IsSignerFunction, bool>(Escrow, new IsSignerFunction { Payer = payer, Signer = signer });

    public Task<SharesOutput> SharesOfAsync(string module) =>
        Web3.Eth.GetContractQueryHandler<SharesOfFunction>().QueryDeserializingToObjectAsync<SharesOutput>(new SharesOfFunction { Module = ModuleId.Of(module) }, Escrow);

    public Task<PendingSharesOutput> PendingSharesOfAsync(string module) =>
        Web3.Eth.GetContractQueryHandler<PendingSharesOfFunction>().QueryDeserializingToObjectAsync<PendingSharesOutput>(new PendingSharesOfFunction { Module = ModuleId.Of(module) }, Escrow);

    public Task<byte[]> VoucherDigestAsync(Voucher voucher) =>
        QueryAsync<VoucherDigestFunction, byte[]>(Escrow, new VoucherDigestFunction { Voucher = voucher });

    public Task<BigInteger> ThawPeriodAsync() => QueryAsync<ThawPeriodFunction, BigInteger>(Escrow, new ThawPeriodFunction());

    public Task<BigInteger> ClaimableAsync(string module, string staker) =>
        QueryAsync<ClaimableFunction, BigInteger>(Deployment.Staking, new ClaimableFunction { Module = ModuleId.Of(module), Staker = staker });

    public Task<BigInteger> CountingStakeAsync(string module) =>
        QueryAsync<CountingStakeFunction, BigInteger>(Deployment.Staking, new CountingStakeFunction { Module = ModuleId.Of(module) });

    private Task<TransactionReceipt> SendAsync<TMessage>(string contract, TMessage message, CancellationToken cancellationToken)
        where TMessage : FunctionMessage, new() => Web3.SendAsync(contract, message, cancellationToken);

    private Task<TOut> QueryAsync<TMessage, TOut>(string contract, TMessage message)
        where TMessage : FunctionMessage, new() => Web3.QueryAsync<TMessage, TOut>(contract, message);
}
