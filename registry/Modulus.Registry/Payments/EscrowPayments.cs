using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Modulus.Registry.Payments;

/// <summary>
/// The escrow's workflows as one account runs them: a payer deposits, reads its status, thaws and
/// withdraws, authorizes and revokes signers; a host redeems vouchers in chunks; a staker claims.
/// Every failure leaves as a <see cref="RegistryException"/> (<see cref="RegistryFailures"/>).
/// </summary>
internal sealed class EscrowPayments
{
    /// <summary>Vouchers per redeem transaction when the caller names no chunk size: well within a block's gas (about 30,000 gas each).</summary>
    public const int DefaultChunkSize = 200;

    private EscrowPayments(EscrowContracts contracts) => Contracts = contracts;

    public EscrowContracts Contracts { get; }

    /// <summary>The account that signs (the payer, the host or the staker).</summary>
    public string Account => Contracts.Account;

    /// <exception cref="RegistryException">INVALID_ARGUMENT when the deployment has no escrow.</exception>
    public static EscrowPayments For(IWeb3 web3, RegistryDeployment deployment)
    {
        try
        {
            return new EscrowPayments(new EscrowContracts(web3, deployment));
        }
        catch (DeploymentException ex)
        {
            throw RegistryFailures.Translate(ex)!;
        }
    }

    /// <summary>Deposits <paramref name="amount"/> wei for <paramref name="receiver"/> (approve, then deposit).</summary>
    public Task<TransactionReceipt> DepositAsync(string receiver, BigInteger amount, CancellationToken cancellationToken = default) =>
        RegistryFailures.RunAsync(() => Contracts.DepositAsync(Address(receiver, "receiver"), amount, cancellationToken));

    /// <summary>The account's escrow for each receiver (the one given, else every one it ever deposited for) and its signers.</summary>
    public Task<EscrowStatus> StatusAsync(string? receiver = null, CancellationToken cancellationToken = default) => RegistryFailures.RunAsync(async () =>
    {
        var payer = Account;
        var receivers = receiver is not null
            ? [Address(receiver, "receiver")]
            : (await LogsAsync<DepositedEvent>(payer).ConfigureAwait(false)).Select(e => e.Event.Receiver).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var accounts = new List<EscrowAccountStatus>();
        foreach (var r in receivers)
        {
            var account = await Contracts.AccountOfAsync(payer, r).ConfigureAwait(false);
            accounts.Add(new EscrowAccountStatus(r, account.Balance, account.Thawing,
                account.Thawing.IsZero ? null : DateTimeOffset.FromUnixTimeSeconds((long)account.ThawEndsAt)));
        }

        var signers = new List<SignerStatus>();
        var named = (await LogsAsync<SignerAuthorizedEvent>(payer).ConfigureAwait(false)).Select(e => e.Event.Signer)
            .Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var signer in named)
        {
            var until = await Contracts.SignerValidUntilAsync(payer, signer).ConfigureAwait(false);
            if (!until.IsZero)
            {
                signers.Add(new SignerStatus(signer, until == MaxUint ? null : DateTimeOffset.FromUnixTimeSeconds((long)until)));
            }
        }

        var thaw = TimeSpan.FromSeconds((double)await Contracts.ThawPeriodAsync().ConfigureAwait(false));
        return new EscrowStatus(payer, accounts, signers, thaw);
    });

    /// <summary>Starts a withdrawal of <paramref name="amount"/> wei (all of the balance when null): it may be withdrawn after the thaw period.</summary>
    /// <returns>The amount thawing and when it may be withdrawn.</returns>
    public Task<(BigInteger Thawing, DateTimeOffset ThawEndsAt)> ThawAsync(string receiver, BigInteger? amount = null, CancellationToken cancellationToken = default) => RegistryFailures.RunAsync(async () =>
    {
        receiver = Address(receiver, "receiver");
        var value = amount ?? (await Contracts.AccountOfAsync(Account, receiver).ConfigureAwait(false)).Balance;
        var receipt = await Contracts.ThawAsync(receiver, value, cancellationToken).ConfigureAwait(false);
        var started = receipt.DecodeAllEvents<ThawStartedEvent>().Single().Event;
        return (started.Thawing, DateTimeOffset.FromUnixTimeSeconds((long)started.ThawEndsAt));
    });

    /// <summary>Withdraws what has thawed.</summary>
    /// <returns>The amount withdrawn and the balance left.</returns>
    public Task<(BigInteger Amount, BigInteger Balance)> WithdrawAsync(string receiver, CancellationToken cancellationToken = default) => RegistryFailures.RunAsync(async () =>
    {
        var receipt = await Contracts.WithdrawAsync(Address(receiver, "receiver"), cancellationToken).ConfigureAwait(false);
        var withdrawn = receipt.DecodeAllEvents<EscrowWithdrawnEvent>().Single().Event;
        return (withdrawn.Amount, withdrawn.Balance);
    });

    public Task<TransactionReceipt> AuthorizeSignerAsync(string signer, CancellationToken cancellationToken = default) =>
        RegistryFailures.RunAsync(() => Contracts.AuthorizeSignerAsync(Address(signer, "signer"), cancellationToken));

    /// <summary>Revokes a signer; its vouchers stay redeemable until the returned time (the thaw period).</summary>
    public Task<DateTimeOffset> RevokeSignerAsync(string signer, CancellationToken cancellationToken = default) => RegistryFailures.RunAsync(async () =>
    {
        var receipt = await Contracts.RevokeSignerAsync(Address(signer, "signer"), cancellationToken).ConfigureAwait(false);
        return DateTimeOffset.FromUnixTimeSeconds((long)receipt.DecodeAllEvents<SignerRevokedEvent>().Single().Event.ValidUntil);
    });

    /// <summary>
    /// Redeems vouchers addressed to this account, <paramref name="chunkSize"/> per transaction. Each
    /// voucher is reported: paid (with its amount), skipped by the contract (with its reason; an
    /// underfunded voucher is not consumed and may be redeemed after a top-up), or failed with its
    /// chunk's transaction (the chain refused or did not answer; nothing of that chunk was consumed).
    /// </summary>
    public async Task<RedeemReport> RedeemAsync(IReadOnlyList<SignedVoucher> vouchers, int chunkSize = DefaultChunkSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var items = new List<RedeemItem>(vouchers.Count);
        var transactions = new List<string>();
        foreach (var chunk in vouchers.Chunk(chunkSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            TransactionReceipt receipt;
            try
            {
                receipt = await RegistryFailures.RunAsync(() => Contracts.RedeemAsync(
                    [.. chunk.Select(v => (new Voucher { Payer = v.Payer, Receiver = Account, Module = v.Module, CumulativeAmount = v.CumulativeAmount }, v.Signature))],
                    cancellationToken)).ConfigureAwait(false);
            }
            catch (RegistryException ex)
            {
                items.AddRange(chunk.Select(v => new RedeemItem(v, RedeemOutcome.Failed, BigInteger.Zero, ex.Message, null)));
                continue;
            }
            catch (InvalidOperationException ex)
            {
                // Mined but reverted without a custom error (ContractCalls): out of gas, say.
                items.AddRange(chunk.Select(v => new RedeemItem(v, RedeemOutcome.Failed, BigInteger.Zero, ex.Message, null)));
                continue;
            }

            transactions.Add(receipt.TransactionHash);
            var skipped = receipt.DecodeAllEvents<RedeemSkippedEvent>().ToDictionary(e => (int)e.Event.Index, e => (RedeemSkipReason)e.Event.Reason);
            var paid = receipt.DecodeAllEvents<RedeemedEvent>().Select(e => e.Event).ToList();
            for (var i = 0; i < chunk.Length; i++)
            {
                var v = chunk[i];
                if (skipped.TryGetValue(i, out var reason))
                {
                    items.Add(new RedeemItem(v, RedeemOutcome.Skipped, BigInteger.Zero, Describe(reason), receipt.TransactionHash) { SkipReason = reason });
                    continue;
                }

                var moduleId = ModuleId.Of(v.Module);
                var match = paid.FirstOrDefault(e => string.Equals(e.Payer, v.Payer, StringComparison.OrdinalIgnoreCase)
                    && e.Module.AsSpan().SequenceEqual(moduleId) && e.CumulativeAmount == v.CumulativeAmount);
                if (match is not null)
                {
                    paid.Remove(match);
                }

                items.Add(new RedeemItem(v, RedeemOutcome.Paid, match?.Amount ?? BigInteger.Zero, null, receipt.TransactionHash));
            }
        }

        return new RedeemReport(items, transactions);
    }

    /// <summary>What the account may claim as a staker of <paramref name="module"/>.</summary>
    public Task<BigInteger> ClaimableAsync(string module) => RegistryFailures.RunAsync(() => Contracts.ClaimableAsync(module, Account));

    /// <summary>Claims a staker's share of the payments for <paramref name="module"/>.</summary>
    /// <returns>The amount claimed.</returns>
    public Task<BigInteger> ClaimAsync(string module, CancellationToken cancellationToken = default) => RegistryFailures.RunAsync(async () =>
    {
        var before = await Contracts.ClaimableAsync(module, Account).ConfigureAwait(false);
        await Contracts.ClaimRewardsAsync(module, cancellationToken).ConfigureAwait(false);
        return before;
    });

    /// <summary>What the chain has redeemed for (payer, this account, module).</summary>
    public Task<BigInteger> RedeemedAsync(string payer, string module) => RegistryFailures.RunAsync(() => Contracts.RedeemedAsync(payer, Account, module));

    public static string Describe(RedeemSkipReason reason) => reason switch
    {
        RedeemSkipReason.NotIncreasing => "not above the amount already redeemed (redeemed before)",
        RedeemSkipReason.InvalidSignature => "the signature is malformed",
        RedeemSkipReason.UnauthorizedSigner => "signed by a key that is neither the payer nor a live signer of it, or for another escrow or chain",
        RedeemSkipReason.UnknownModule => "the module is not registered",
        RedeemSkipReason.Underfunded => "underfunded: the payer's escrow balance for this host is below what the voucher adds; kept, redeem again after a top-up",
        _ => $"skipped ({reason})",
    };

    private static readonly BigInteger MaxUint = BigInteger.Pow(2, 256) - 1;

    private async Task<List<EventLog<TEvent>>> LogsAsync<TEvent>(string payer) where TEvent : IEventDTO, new()
    {
        var handler = Contracts.Web3.Eth.GetEvent<TEvent>(Contracts.Escrow);
        var filter = handler.CreateFilterInput<string>(payer, new BlockParameter(new HexBigInteger(Contracts.Deployment.Block)), BlockParameter.CreateLatest());
        return await handler.GetAllChangesAsync(filter).ConfigureAwait(false);
    }

    private static string Address(string text, string what) =>
        Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(text)
            ? text
            : throw new RegistryException(RegistryErrorCode.InvalidArgument, $"the {what} \"{text}\" is not an address; an address is 0x and 40 hex digits");
}

/// <summary>A voucher a host holds: the receiver is the host itself.</summary>
internal sealed record SignedVoucher(string Payer, string Module, BigInteger CumulativeAmount, byte[] Signature);

internal enum RedeemOutcome
{
    Paid,
    Skipped,
    Failed,
}

/// <summary>What became of one voucher of a redemption.</summary>
internal sealed record RedeemItem(SignedVoucher Voucher, RedeemOutcome Outcome, BigInteger Paid, string? Reason, string? Transaction)
{
    public RedeemSkipReason? SkipReason { get; init; }
}

internal sealed record RedeemReport(IReadOnlyList<RedeemItem> Items, IReadOnlyList<string> Transactions)
{
    public BigInteger Paid => Items.Aggregate(BigInteger.Zero, (sum, i) => sum + i.Paid);
}

internal sealed record EscrowAccountStatus(string Receiver, BigInteger Balance, BigInteger Thawing, DateTimeOffset? ThawEndsAt);

/// <summary>A signer of the payer: <paramref name="RevokedUntil"/> null while authorized, else when its revocation takes effect.</summary>
internal sealed record SignerStatus(string Signer, DateTimeOffset? RevokedUntil);

internal sealed record EscrowStatus(string Payer, IReadOnlyList<EscrowAccountStatus> Accounts, IReadOnlyList<SignerStatus> Signers, TimeSpan ThawPeriod);
