using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;

namespace Modulus.Registry.Tests;

/// <summary>
/// CallEscrow and the staking rewards on a real Anvil. The deployer owns modules "alpha" and
/// "beta"; alice pays, bob hosts (receives), carol and dave stake.
/// </summary>
[Collection("anvil")]
public sealed class EscrowContractTests(AnvilFixture anvil) : ChainTest(anvil)
{
    private static readonly TimeSpan Thaw = RegistryDeployer.DefaultEscrowThaw;

    private static readonly EthECKey AliceKey = new(AnvilNode.DevPrivateKeys[1]);

    /// <summary>Anvil's fifth and sixth development accounts (its default mnemonic), funded with ETH like the first four.</summary>
    internal const string DaveKey = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

    /// <summary>A hot key alice may authorize; it never sends a transaction.</summary>
    private static readonly EthECKey HotKey = new("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");

    private EscrowContracts owner = null!;
    private EscrowContracts alice = null!;
    private EscrowContracts bob = null!;
    private EscrowContracts carol = null!;
    private EscrowContracts dave = null!;

    private RegistryContracts Dave { get; set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var daveWeb3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(DaveKey, 31337), RpcUrl);
        daveWeb3.TransactionManager.UseLegacyAsDefault = true;
        Dave = new RegistryContracts(daveWeb3, Deployer.Deployment);
        owner = new EscrowContracts(Deployer.Web3, Deployer.Deployment);
        alice = new EscrowContracts(Alice.Web3, Alice.Deployment);
        bob = new EscrowContracts(Bob.Web3, Bob.Deployment);
        carol = new EscrowContracts(Carol.Web3, Carol.Deployment);
        dave = new EscrowContracts(Dave.Web3, Dave.Deployment);
        await Deployer.ClaimNameAsync("alpha");
        await Deployer.ClaimNameAsync("beta");
        foreach (var who in new[] { Alice, Bob, Carol, Dave })
        {
            await Deployer.MintAsync(who.Account, 1_000 * Gpt);
        }
    }

    [Fact]
    public async Task Deposit_ThenWithdraw_OnlyAfterTheThaw()
    {
        Assert.Equal((BigInteger)Thaw.TotalSeconds, await alice.ThawPeriodAsync());
        var deposited = await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var deposit = Assert.Single(deposited.DecodeAllEvents<DepositedEvent>()).Event;
        Assert.Equal((100 * Gpt, 100 * Gpt), (deposit.Amount, deposit.Balance));
        Assert.Equal(900 * Gpt, await Alice.BalanceOfAsync(Alice.Account));

        await RevertsWithAsync<NothingThawingError>(() => alice.WithdrawAsync(Bob.Account));
        var over = await RevertsWithAsync<InsufficientBalanceError>(() => alice.ThawAsync(Bob.Account, 101 * Gpt));
        Assert.Equal((101 * Gpt, 100 * Gpt), (over.Requested, over.Available));
        await RevertsWithAsync<ZeroAmountError>(() => alice.ThawAsync(Bob.Account, 0));

        var thawed = Assert.Single((await alice.ThawAsync(Bob.Account, 40 * Gpt)).DecodeAllEvents<ThawStartedEvent>()).Event;
        var early = await RevertsWithAsync<ThawNotOverError>(() => alice.WithdrawAsync(Bob.Account));
        Assert.Equal(thawed.ThawEndsAt, early.ThawEndsAt);
        Assert.True(early.NowTime < early.ThawEndsAt);

        // One second short of the thaw is still too early.
        await IncreaseTimeAsync(Thaw - TimeSpan.FromSeconds(10));
        await RevertsWithAsync<ThawNotOverError>(() => alice.WithdrawAsync(Bob.Account));
        await IncreaseTimeAsync(TimeSpan.FromSeconds(10));
        var withdrawn = Assert.Single((await alice.WithdrawAsync(Bob.Account)).DecodeAllEvents<EscrowWithdrawnEvent>()).Event;
        Assert.Equal((40 * Gpt, 60 * Gpt), (withdrawn.Amount, withdrawn.Balance));
        Assert.Equal(940 * Gpt, await Alice.BalanceOfAsync(Alice.Account));
        Assert.Equal(60 * Gpt, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);
        await RevertsWithAsync<NothingThawingError>(() => alice.WithdrawAsync(Bob.Account));
    }

    [Fact]
    public async Task DepositOfNothing_OrForNobody_Reverts_AndACancelledThawKeepsTheMoney()
    {
        await RevertsWithAsync<ZeroAmountError>(() => alice.DepositAsync(Bob.Account, 0));
        await RevertsWithAsync<ZeroAddressError>(() => alice.DepositAsync("0x0000000000000000000000000000000000000000", Gpt));
        await alice.DepositAsync(Bob.Account, 10 * Gpt);
        await RevertsWithAsync<NothingThawingError>(() => alice.CancelThawAsync(Bob.Account));
        await alice.ThawAsync(Bob.Account, 10 * Gpt);
        Assert.Single((await alice.CancelThawAsync(Bob.Account)).DecodeAllEvents<ThawCancelledEvent>());
        await IncreaseTimeAsync(Thaw);
        await RevertsWithAsync<NothingThawingError>(() => alice.WithdrawAsync(Bob.Account));
        Assert.Equal(10 * Gpt, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);
    }

    [Fact]
    public async Task Redeem_PaysTheIncrease_WithTheDefaultSplit_AndTheStakersShareToTheOwnerWhenNoStakeCounts()
    {
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var ownerBefore = await Deployer.BalanceOfAsync(Deployer.Account);

        var first = await bob.RedeemAsync([Sign("alpha", 10 * Gpt)]);
        var paid = Assert.Single(first.DecodeAllEvents<RedeemedEvent>()).Event;
        // Default: host 70%, stakers 10%, owner 20%; nobody stakes on alpha, so the owner gets 30%.
        Assert.Equal((10 * Gpt, 7 * Gpt, 3 * Gpt, BigInteger.Zero), (paid.Amount, paid.HostAmount, paid.OwnerAmount, paid.StakersAmount));
        // The event leaves the owner out: it is the registry's, as the escrow looks it up by hash.
        Assert.Equal(Deployer.Account, await Deployer.OwnerOfHashAsync("alpha"), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Deployer.Account, await Deployer.OwnerOfAsync("alpha"), StringComparer.OrdinalIgnoreCase);
        Assert.Equal("0x0000000000000000000000000000000000000000", await Deployer.OwnerOfHashAsync("nobody"));

        // A later voucher pays only the increase over the one redeemed.
        var second = Assert.Single((await bob.RedeemAsync([Sign("alpha", 25 * Gpt)])).DecodeAllEvents<RedeemedEvent>()).Event;
        Assert.Equal((25 * Gpt, 15 * Gpt), (second.CumulativeAmount, second.Amount));

        Assert.Equal(1_000 * Gpt + 7 * Gpt + 10.5m.ToGpt(), await Bob.BalanceOfAsync(Bob.Account));
        Assert.Equal(ownerBefore + 3 * Gpt + 4.5m.ToGpt(), await Deployer.BalanceOfAsync(Deployer.Account));
        Assert.Equal(75 * Gpt, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);
        Assert.Equal(25 * Gpt, await alice.RedeemedAsync(Alice.Account, Bob.Account, "alpha"));
        Assert.Equal(75 * Gpt, await Alice.BalanceOfAsync(Alice.Deployment.Escrow!));
    }

    [Fact]
    public async Task Redeem_ByAnotherThanTheReceiver_OrWithMismatchedArrays_RevertsTheBatch()
    {
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var forBob = Sign("alpha", 10 * Gpt);
        var wrong = await RevertsWithAsync<NotReceiverError>(() => carol.RedeemAsync([forBob]));
        Assert.Equal(BigInteger.Zero, wrong.Index);
        Assert.Equal(Carol.Account, wrong.Caller, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Bob.Account, wrong.Receiver, StringComparer.OrdinalIgnoreCase);

        // One wrong voucher among good ones reverts them all: the caller sent the wrong batch.
        var forCarol = Sign("alpha", 5 * Gpt, receiver: Carol.Account);
        await RevertsWithAsync<NotReceiverError>(() => bob.RedeemAsync([forBob, forCarol]));

        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() => bob.Web3.Eth.GetContractTransactionHandler<RedeemFunction>()
            .SendRequestAndWaitForReceiptAsync(bob.Escrow, new RedeemFunction { Vouchers = [forBob.Voucher], Signatures = [] }));
        Assert.True(ex.IsCustomErrorFor<LengthMismatchError>());
        Assert.Equal("1 vouchers but 0 signatures; give one signature per voucher", ContractErrors.Describe(ex));
        Assert.Equal(BigInteger.Zero, await alice.RedeemedAsync(Alice.Account, Bob.Account, "alpha"));
    }

    [Fact]
    public async Task AVoucherSignedForAnotherEscrowOrAnotherChain_IsSkipped_AndPaysNothing()
    {
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var voucher = new Voucher { Payer = Alice.Account, Receiver = Bob.Account, Module = "alpha", CumulativeAmount = 10 * Gpt };
        var otherEscrow = new VoucherSigner(31337, Alice.Deployment.Staking).Sign(voucher, AliceKey);
        var otherChain = new VoucherSigner(1, alice.Escrow).Sign(voucher, AliceKey);

        var receipt = await bob.RedeemAsync([(voucher, otherEscrow), (voucher, otherChain)]);
        Assert.Empty(receipt.DecodeAllEvents<RedeemedEvent>());
        Assert.Equal(
            [(byte)RedeemSkipReason.UnauthorizedSigner, (byte)RedeemSkipReason.UnauthorizedSigner],
            receipt.DecodeAllEvents<RedeemSkippedEvent>().Select(e => e.Event.Reason));
        Assert.Equal(100 * Gpt, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);

        // The same voucher signed under this escrow's domain pays.
        Assert.Single((await bob.RedeemAsync([(voucher, alice.Signer.Sign(voucher, AliceKey))])).DecodeAllEvents<RedeemedEvent>());
    }

    [Fact]
    public async Task AReplayedOrLowerCumulativeAmount_IsSkipped()
    {
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var twenty = Sign("alpha", 20 * Gpt);
        await bob.RedeemAsync([twenty]);

        var receipt = await bob.RedeemAsync([twenty, Sign("alpha", 15 * Gpt)]);
        Assert.Empty(receipt.DecodeAllEvents<RedeemedEvent>());
        var skipped = receipt.DecodeAllEvents<RedeemSkippedEvent>().Select(e => e.Event).ToList();
        Assert.Equal([(byte)RedeemSkipReason.NotIncreasing, (byte)RedeemSkipReason.NotIncreasing], skipped.Select(e => e.Reason));
        Assert.Equal([BigInteger.Zero, BigInteger.One], skipped.Select(e => e.Index));
        Assert.Equal(80 * Gpt, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);

        // Cumulative amounts are per module: the same amount for beta pays.
        Assert.Single((await bob.RedeemAsync([Sign("beta", 20 * Gpt)])).DecodeAllEvents<RedeemedEvent>());
    }

    [Fact]
    public async Task AnUnderfundedVoucher_IsSkippedWhole_NotConsumed_AndPaysInFullAfterATopUp()
    {
        await alice.DepositAsync(Bob.Account, 10 * Gpt);
        var voucher = Sign("alpha", 30 * Gpt);
        var receipt = await bob.RedeemAsync([voucher]);
        Assert.Empty(receipt.DecodeAllEvents<RedeemedEvent>());
        Assert.Equal((byte)RedeemSkipReason.Underfunded, Assert.Single(receipt.DecodeAllEvents<RedeemSkippedEvent>()).Event.Reason);
        // Not a partial payment of 10: the balance and the redeemed amount are untouched.
        Assert.Equal(10 * Gpt, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);
        Assert.Equal(BigInteger.Zero, await alice.RedeemedAsync(Alice.Account, Bob.Account, "alpha"));

        await alice.DepositAsync(Bob.Account, 20 * Gpt);
        var paid = Assert.Single((await bob.RedeemAsync([voucher])).DecodeAllEvents<RedeemedEvent>()).Event;
        Assert.Equal(30 * Gpt, paid.Amount);
        Assert.Equal(BigInteger.Zero, (await alice.AccountOfAsync(Alice.Account, Bob.Account)).Balance);
    }

    [Fact]
    public async Task ThawingMoneyStillPaysVouchers_AndTheWithdrawalGetsWhatIsLeft()
    {
        await alice.DepositAsync(Bob.Account, 50 * Gpt);
        await alice.ThawAsync(Bob.Account, 50 * Gpt);
        await bob.RedeemAsync([Sign("alpha", 30 * Gpt)]);
        await IncreaseTimeAsync(Thaw);
        var withdrawn = Assert.Single((await alice.WithdrawAsync(Bob.Account)).DecodeAllEvents<EscrowWithdrawnEvent>()).Event;
        Assert.Equal((20 * Gpt, BigInteger.Zero), (withdrawn.Amount, withdrawn.Balance));
    }

    [Fact]
    public async Task MalformedSignatures_AreSkipped_IncludingTheHighSTwinOfAGoodOne()
    {
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var (voucher, signature) = Sign("alpha", 10 * Gpt);
        // s' = n - s with v flipped recovers the same address from raw ecrecover; OpenZeppelin's
        // ECDSA refuses it, so one signature cannot be turned into two.
        var n = BigInteger.Parse("115792089237316195423570985008687907852837564279074904382605163141518161494337");
        var s = new BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var twin = signature.ToArray();
        (n - s).ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(twin.AsSpan(32 + 32 - (n - s).GetByteCount(isUnsigned: true)));
        twin[64] = (byte)(signature[64] == 27 ? 28 : 27);
        var digest = alice.Signer.Digest(voucher);
        var raw = EthECDSASignatureFactory.FromComponents(twin[..32], twin[32..64], twin[64]);
        Assert.Equal(Alice.Account, EthECKey.RecoverFromSignature(raw, digest).GetPublicAddress(), StringComparer.OrdinalIgnoreCase);

        var receipt = await bob.RedeemAsync([(voucher, twin), (voucher, signature[..64]), (voucher, new byte[65])]);
        Assert.Equal(
            [(byte)RedeemSkipReason.InvalidSignature, (byte)RedeemSkipReason.InvalidSignature, (byte)RedeemSkipReason.InvalidSignature],
            receipt.DecodeAllEvents<RedeemSkippedEvent>().Select(e => e.Event.Reason));
        Assert.Single((await bob.RedeemAsync([(voucher, signature)])).DecodeAllEvents<RedeemedEvent>());
    }

    [Fact]
    public async Task TheCSharpSigner_SignsTheDigestTheContractComputes()
    {
        var voucher = new Voucher { Payer = Alice.Account, Receiver = Bob.Account, Module = "text.stats", CumulativeAmount = 123_456_789 };
        Assert.Equal(await alice.VoucherDigestAsync(voucher), alice.Signer.Digest(voucher));
        Assert.Equal(Alice.Account, alice.Signer.Recover(voucher, alice.Signer.Sign(voucher, AliceKey)), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(
            Convert.ToHexStringLower(Nethereum.Util.Sha3Keccack.Current.CalculateHash(System.Text.Encoding.ASCII.GetBytes(VoucherSigner.TypeString))),
            Convert.ToHexStringLower(await alice.Web3.Eth.GetContractQueryHandler<VoucherTypeHashFunction>().QueryAsync<byte[]>(alice.Escrow, new VoucherTypeHashFunction())));
    }

    [Fact]
    public async Task AnAuthorizedSigner_SignsForThePayer_UntilItsRevocationHasThawed()
    {
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        var hot = HotKey.GetPublicAddress();
        Assert.Equal((byte)RedeemSkipReason.UnauthorizedSigner, Assert.Single((await bob.RedeemAsync([Sign("alpha", Gpt, key: HotKey)])).DecodeAllEvents<RedeemSkippedEvent>()).Event.Reason);

        await RevertsWithAsync<InvalidSignerError>(() => alice.AuthorizeSignerAsync(Alice.Account));
        await RevertsWithAsync<InvalidSignerError>(() => alice.AuthorizeSignerAsync("0x0000000000000000000000000000000000000000"));
        await RevertsWithAsync<SignerNotAuthorizedError>(() => alice.RevokeSignerAsync(hot));
        Assert.Single((await alice.AuthorizeSignerAsync(hot)).DecodeAllEvents<SignerAuthorizedEvent>());
        await RevertsWithAsync<SignerAlreadyAuthorizedError>(() => alice.AuthorizeSignerAsync(hot));
        Assert.True(await alice.IsSignerAsync(Alice.Account, hot));
        // A signer of alice's is no signer of carol's.
        Assert.False(await alice.IsSignerAsync(Carol.Account, hot));
        Assert.Single((await bob.RedeemAsync([Sign("alpha", 2 * Gpt, key: HotKey)])).DecodeAllEvents<RedeemedEvent>());

        var revoked = Assert.Single((await alice.RevokeSignerAsync(hot)).DecodeAllEvents<SignerRevokedEvent>()).Event;
        await RevertsWithAsync<SignerNotAuthorizedError>(() => alice.RevokeSignerAsync(hot));
        Assert.Equal(revoked.ValidUntil, await alice.SignerValidUntilAsync(Alice.Account, hot));
        // Within the revocation's thaw its vouchers still pay: the host served on their strength.
        Assert.Single((await bob.RedeemAsync([Sign("alpha", 3 * Gpt, key: HotKey)])).DecodeAllEvents<RedeemedEvent>());
        await IncreaseTimeAsync(Thaw);
        Assert.False(await alice.IsSignerAsync(Alice.Account, hot));
        var late = await bob.RedeemAsync([Sign("alpha", 4 * Gpt, key: HotKey)]);
        Assert.Equal((byte)RedeemSkipReason.UnauthorizedSigner, Assert.Single(late.DecodeAllEvents<RedeemSkippedEvent>()).Event.Reason);
        // The payer's own key always signs.
        Assert.Single((await bob.RedeemAsync([Sign("alpha", 4 * Gpt)])).DecodeAllEvents<RedeemedEvent>());
        // And the key may be authorized again.
        await alice.AuthorizeSignerAsync(hot);
        Assert.True(await alice.IsSignerAsync(Alice.Account, hot));
    }

    [Fact]
    public async Task SharesOutOfBounds_OrByAnotherThanTheOwner_Revert_AndNewSharesApplyAfterTheThaw()
    {
        var low = await RevertsWithAsync<HostShareTooLowError>(() => owner.SetSharesAsync("alpha", 1_999, 0));
        Assert.Equal((1_999, 2_000), (low.HostBps, low.MinHostBps));
        var high = await RevertsWithAsync<StakersShareTooHighError>(() => owner.SetSharesAsync("alpha", 2_000, 5_001));
        Assert.Equal((5_001, 5_000), (high.StakersBps, high.MaxStakersBps));
        await RevertsWithAsync<SharesOverTotalError>(() => owner.SetSharesAsync("alpha", 6_000, 4_001));
        var notOwner = await RevertsWithAsync<NotModuleOwnerError>(() => alice.SetSharesAsync("alpha", 5_000, 1_000));
        Assert.Equal(Deployer.Account, notOwner.Owner, StringComparer.OrdinalIgnoreCase);
        await RevertsWithAsync<UnknownModuleNameError>(() => owner.SetSharesAsync("nobody", 5_000, 1_000));
        var ex = await Assert.ThrowsAsync<SmartContractCustomErrorRevertException>(() => owner.SetSharesAsync("alpha", 1_000, 0));
        Assert.Equal("a host share of 10% is below the minimum of 20%: the host does the work of every call", ContractErrors.Describe(ex));

        Assert.Equal((7_000, 1_000, 2_000), Tuple(await owner.SharesOfAsync("alpha")));
        var set = Assert.Single((await owner.SetSharesAsync("alpha", 6_000, 4_000)).DecodeAllEvents<SharesSetEvent>()).Event;
        Assert.Equal(("alpha", (ushort)0), (set.Name, set.OwnerBps));
        var pending = await owner.PendingSharesOfAsync("alpha");
        Assert.Equal((6_000, 4_000, set.EffectiveFrom), (pending.HostBps, pending.StakersBps, pending.EffectiveFrom));

        // Until the thaw period has passed, the split a host served under still applies.
        await carol.Stake("alpha", 10 * Gpt);
        await alice.DepositAsync(Bob.Account, 100 * Gpt);
        Assert.Equal((7_000, 1_000, 2_000), Tuple(await owner.SharesOfAsync("alpha")));
        var before = Assert.Single((await bob.RedeemAsync([Sign("alpha", 10 * Gpt)])).DecodeAllEvents<RedeemedEvent>()).Event;
        Assert.Equal((7 * Gpt, 1 * Gpt, 2 * Gpt), (before.HostAmount, before.StakersAmount, before.OwnerAmount));

        await IncreaseTimeAsync(Thaw);
        Assert.Equal((6_000, 4_000, 0), Tuple(await owner.SharesOfAsync("alpha")));
        Assert.Equal((7_000, 1_000, 2_000), Tuple(await owner.SharesOfAsync("beta")));
        Assert.Equal(BigInteger.Zero, (await owner.PendingSharesOfAsync("alpha")).EffectiveFrom);
        var paid = Assert.Single((await bob.RedeemAsync([Sign("alpha", 20 * Gpt)])).DecodeAllEvents<RedeemedEvent>()).Event;
        Assert.Equal((6 * Gpt, 4 * Gpt, BigInteger.Zero), (paid.HostAmount, paid.StakersAmount, paid.OwnerAmount));

        // A new split waits again; the one in force stays until then.
        await owner.SetSharesAsync("alpha", 8_000, 0);
        Assert.Equal((6_000, 4_000, 0), Tuple(await owner.SharesOfAsync("alpha")));
        await IncreaseTimeAsync(Thaw);
        Assert.Equal((8_000, 0, 2_000), Tuple(await owner.SharesOfAsync("alpha")));
    }

    [Fact]
    public async Task Stakers_ClaimProRata_ToTheStakeThatCountedWhenEachPaymentArrived()
    {
        await owner.SetSharesAsync("alpha", 5_000, 4_000);
        await IncreaseTimeAsync(Thaw);
        await carol.Stake("alpha", 100 * Gpt);
        await dave.Stake("alpha", 300 * Gpt);
        await alice.DepositAsync(Bob.Account, 500 * Gpt);

        // 100 paid: 40 to stakers, 1:3.
        await bob.RedeemAsync([Sign("alpha", 100 * Gpt)]);
        Assert.Equal(10 * Gpt, await carol.ClaimableAsync("alpha", Carol.Account));
        Assert.Equal(30 * Gpt, await carol.ClaimableAsync("alpha", Dave.Account));

        // Alice joins with 400; the next 100 paid share 40 over 800.
        await alice.Stake("alpha", 400 * Gpt);
        await bob.RedeemAsync([Sign("alpha", 200 * Gpt)]);
        Assert.Equal(15 * Gpt, await carol.ClaimableAsync("alpha", Carol.Account));
        Assert.Equal(45 * Gpt, await carol.ClaimableAsync("alpha", Dave.Account));
        Assert.Equal(20 * Gpt, await carol.ClaimableAsync("alpha", Alice.Account));

        var carolBefore = await Carol.BalanceOfAsync(Carol.Account);
        var claimed = Assert.Single((await carol.ClaimRewardsAsync("alpha")).DecodeAllEvents<RewardsClaimedEvent>()).Event;
        Assert.Equal(15 * Gpt, claimed.Amount);
        Assert.Equal(carolBefore + 15 * Gpt, await Carol.BalanceOfAsync(Carol.Account));
        await RevertsWithAsync<NothingToClaimError>(() => carol.ClaimRewardsAsync("alpha"));
        await RevertsWithAsync<NothingToClaimError>(() => carol.ClaimRewardsAsync("beta"));

        // Unstaking stops earning but keeps what was earned.
        await Dave.RequestUnstakeAsync("alpha", 300 * Gpt);
        await bob.RedeemAsync([Sign("alpha", 300 * Gpt)]);
        Assert.Equal(45 * Gpt, await carol.ClaimableAsync("alpha", Dave.Account));
        Assert.Equal(8 * Gpt, await carol.ClaimableAsync("alpha", Carol.Account));
        Assert.Equal(52 * Gpt, await carol.ClaimableAsync("alpha", Alice.Account));
        await dave.ClaimRewardsAsync("alpha");
        Assert.Equal(BigInteger.Zero, await carol.ClaimableAsync("alpha", Dave.Account));
        // Every token the stakers were given is in the staking contract: stakes plus unclaimed rewards.
        Assert.Equal(
            await Deployer.TotalHeldAsync() + 8 * Gpt + 52 * Gpt,
            await Deployer.BalanceOfAsync(Deployer.Deployment.Staking));
    }

    [Fact]
    public async Task Credit_IsTheEscrowsAlone_AndAnEscrowForAStakingContractBoundToAnotherOneIsRefused()
    {
        Assert.Equal(Deployer.Deployment.Escrow, await Deployer.Web3.QueryAsync<StakingEscrowFunction, string>(Deployer.Deployment.Staking, new StakingEscrowFunction()), StringComparer.OrdinalIgnoreCase);
        await carol.Stake("alpha", 10 * Gpt);
        var notEscrow = await RevertsWithAsync<NotEscrowError>(() => Deployer.Web3.SendAsync(
            Deployer.Deployment.Staking, new CreditFunction { Module = ModuleId.Of("alpha"), Amount = Gpt }, CancellationToken.None));
        Assert.Equal(Deployer.Account, notEscrow.Caller, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(BigInteger.Zero, await carol.ClaimableAsync("alpha", Carol.Account));

        // A second escrow on the same staking contract would have its stakers' shares refused: its
        // constructor reverts (Nethereum reports a deployment's revert as the RPC error of its gas estimate).
        var rpc = await Assert.ThrowsAsync<Nethereum.JsonRpc.Client.RpcResponseException>(() => Deployer.Web3.Eth.GetContractDeploymentHandler<CallEscrowDeployment>()
            .SendRequestAndWaitForReceiptAsync(new CallEscrowDeployment
            {
                Token = Deployer.Deployment.Token, Registry = Deployer.Deployment.Registry, Staking = Deployer.Deployment.Staking, ThawPeriod = 60,
            }));
        var revert = new SmartContractCustomErrorRevertException(rpc.RpcError.Data.ToString());
        Assert.True(revert.IsCustomErrorFor<StakingForAnotherEscrowError>(), rpc.Message);
        Assert.Equal(Deployer.Deployment.Escrow, revert.DecodeError<StakingForAnotherEscrowError>().Escrow, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Distribute_WithNoCountingStake_OrNothing_Reverts_AndStakeOfTheSameBlockEarnsNothingFromIt()
    {
        await Deployer.MintAsync(Deployer.Account, 100 * Gpt);
        await RevertsWithAsync<NoCountingStakeError>(() => owner.DistributeAsync("alpha", Gpt));
        await carol.Stake("alpha", 100 * Gpt);
        await RevertsWithAsync<ZeroAmountError>(() => owner.DistributeAsync("alpha", 0));

        // Dave stakes and a distribution follows in the same block: it is carol's alone.
        foreach (var (who, spender) in new[] { (Dave, Dave.Deployment.Staking), (Deployer, Deployer.Deployment.Staking) })
        {
            await who.Web3.Eth.GetContractTransactionHandler<ApproveFunction>().SendRequestAndWaitForReceiptAsync(
                who.Deployment.Token, new ApproveFunction { Spender = spender, Value = 1_000 * Gpt });
        }

        await RpcAsync("evm_setAutomine", false);
        TransactionReceipt stakeReceipt, distributeReceipt;
        try
        {
            var stake = await Dave.Web3.Eth.GetContractTransactionHandler<StakeFunction>().SendRequestAsync(
                Dave.Deployment.Staking, new StakeFunction { Module = ModuleId.Of("alpha"), Amount = 900 * Gpt, Gas = 400_000 });
            var distribute = await Deployer.Web3.Eth.GetContractTransactionHandler<DistributeFunction>().SendRequestAsync(
                Deployer.Deployment.Staking, new DistributeFunction { Module = ModuleId.Of("alpha"), Amount = 10 * Gpt, Gas = 400_000 });
            await RpcAsync("evm_mine");
            stakeReceipt = await Dave.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(stake);
            distributeReceipt = await Dave.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(distribute);
        }
        finally
        {
            await RpcAsync("evm_setAutomine", true);
        }

        Assert.Equal(stakeReceipt.BlockNumber.Value, distributeReceipt.BlockNumber.Value);
        Assert.True(stakeReceipt.TransactionIndex.Value < distributeReceipt.TransactionIndex.Value);
        Assert.Equal((1, 1), ((int)stakeReceipt.Status.Value, (int)distributeReceipt.Status.Value));
        Assert.Equal(100 * Gpt, Assert.Single(distributeReceipt.DecodeAllEvents<RewardsDistributedEvent>()).Event.CountingStake);
        Assert.Equal(10 * Gpt, await carol.ClaimableAsync("alpha", Carol.Account));
        Assert.Equal(BigInteger.Zero, await carol.ClaimableAsync("alpha", Dave.Account));
        // Seen from the block of dave's stake (the latest), it does not count yet.
        Assert.Equal(100 * Gpt, await carol.CountingStakeAsync("alpha"));
        Assert.Equal(BigInteger.Zero, await carol.CountingStakeAsync("beta"));

        // From the next block dave's 900 counts: 10 more shares 1:9. His stake changing again
        // (settling the fresh tokens) must not hand him the earlier distribution either.
        await owner.DistributeAsync("alpha", 10 * Gpt);
        Assert.Equal(1_000 * Gpt, await carol.CountingStakeAsync("alpha"));
        Assert.Equal(11 * Gpt, await carol.ClaimableAsync("alpha", Carol.Account));
        Assert.Equal(9 * Gpt, await carol.ClaimableAsync("alpha", Dave.Account));
        await dave.Stake("alpha", 1 * Gpt);
        Assert.Equal(9 * Gpt, await carol.ClaimableAsync("alpha", Dave.Account));
        await dave.ClaimRewardsAsync("alpha");
        Assert.Equal(1_000 * Gpt - 901 * Gpt + 9 * Gpt, await Dave.BalanceOfAsync(Dave.Account));
    }

    [Fact]
    public void TheDeploymentFile_KeepsTheEscrow_AndReadsAnOlderFileWithoutIt()
    {
        var folder = Directory.CreateTempSubdirectory("modulus-deployment-");
        try
        {
            var path = Path.Combine(folder.FullName, "deployment.json");
            var deployment = new RegistryDeployment(31337, "0x01", "0x02", "0x03", 7) { Escrow = "0x04" };
            DeploymentFile.Write(path, deployment, "http://127.0.0.1:8545");
            Assert.Equal("0x04", DeploymentFile.Read(path).Deployment.Escrow);

            File.WriteAllText(path, """{"rpcUrl":"http://127.0.0.1:8545","chainId":"31337","token":"0x01","registry":"0x02","staking":"0x03","block":7}""");
            var (older, rpc) = DeploymentFile.Read(path);
            Assert.Equal(("0x03", (string?)null, "http://127.0.0.1:8545"), (older.Staking, older.Escrow, rpc));
            Assert.Throws<DeploymentException>(() => new EscrowContracts(Deployer.Web3, older));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private (Voucher Voucher, byte[] Signature) Sign(string module, BigInteger cumulative, string? receiver = null, EthECKey? key = null) =>
        alice.SignVoucher(key ?? AliceKey, Alice.Account, receiver ?? Bob.Account, module, cumulative);

    private static (int, int, int) Tuple(SharesOutput s) => (s.HostBps, s.StakersBps, s.OwnerBps);
}

[Function("VOUCHER_TYPEHASH", "bytes32")]
internal sealed class VoucherTypeHashFunction : FunctionMessage;

internal static class EscrowTestExtensions
{
    public static BigInteger ToGpt(this decimal amount) => new BigInteger(amount * 1_000_000) * BigInteger.Pow(10, 12);

    /// <summary>Stakes through the registry access the CLI uses (approve, then stake).</summary>
    public static Task<TransactionReceipt> Stake(this EscrowContracts who, string module, BigInteger amount) =>
        new RegistryContracts(who.Web3, who.Deployment).StakeAsync(module, amount);
}
