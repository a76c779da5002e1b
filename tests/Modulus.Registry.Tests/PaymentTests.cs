using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Payments;
using Modulus.Protocol.Signing;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Payments;
using Modulus.Sdk;
using Modulus.Testing;
using Nethereum.Signer;

namespace Modulus.Registry.Tests;

/// <summary>
/// Paid calls against a real Anvil and the compiled escrow: the payer's workflows, chunked
/// redemption, the host's voucher gate and its ledger. The deployer owns "alpha" and "beta"; alice
/// pays, bob hosts (the vouchers' receiver), carol stakes.
/// </summary>
[Collection("anvil")]
public sealed class PaymentTests(AnvilFixture anvil) : ChainTest(anvil), IDisposable
{
    private static readonly BigInteger Price = Gpt / 1000;
    private static readonly CallSigner AliceSigner = CallSigner.FromPrivateKey(Convert.FromHexString(AnvilNode.DevPrivateKeys[1][2..]));
    private static readonly CallSigner HotSigner = CallSigner.FromPrivateKey(Convert.FromHexString("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"));

    private readonly string _folder = Directory.CreateTempSubdirectory("modulus-payments-").FullName;
    private EscrowPayments alice = null!;
    private EscrowPayments bob = null!;
    private EscrowPayments carol = null!;
    private VoucherDigest digest = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        alice = EscrowPayments.For(Alice.Web3, Alice.Deployment);
        bob = EscrowPayments.For(Bob.Web3, Bob.Deployment);
        carol = EscrowPayments.For(Carol.Web3, Carol.Deployment);
        digest = new VoucherDigest(31337, Alice.Deployment.Escrow!);
        await Deployer.ClaimNameAsync("alpha");
        await Deployer.ClaimNameAsync("beta");
        foreach (var who in new[] { Alice, Bob, Carol })
        {
            await Deployer.MintAsync(who.Account, 1_000 * Gpt);
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task VoucherDigest_IsTheContractsAndNethereums_AndItsSignatureRedeems()
    {
        var voucher = new Voucher { Payer = Alice.Account, Receiver = Bob.Account, Module = "alpha", CumulativeAmount = 123_456_789 };
        var onChain = await alice.Contracts.VoucherDigestAsync(voucher);
        Assert.Equal(Convert.ToHexString(onChain), Convert.ToHexString(digest.Of(Alice.Account, Bob.Account, "alpha", 123_456_789)));
        Assert.Equal(Convert.ToHexString(onChain), Convert.ToHexString(alice.Contracts.Signer.Digest(voucher)));

        var signed = digest.Sign(AliceSigner, Alice.Account, Bob.Account, "alpha", 5 * Price);
        Assert.Equal(65, signed.Signature.Length);
        Assert.Equal(Alice.Account, digest.Recover(Alice.Account, Bob.Account, "alpha", 5 * Price, signed.Signature.Span), StringComparer.OrdinalIgnoreCase);
        await alice.DepositAsync(Bob.Account, Gpt);
        var report = await bob.RedeemAsync([new SignedVoucher(Alice.Account, "alpha", 5 * Price, signed.Signature.ToByteArray())]);
        Assert.Equal(RedeemOutcome.Paid, Assert.Single(report.Items).Outcome);
        Assert.Equal(5 * Price, report.Paid);
    }

    [Fact]
    public async Task PayerWorkflows_DepositStatusAuthorizeRevokeThawWithdraw()
    {
        await alice.DepositAsync(Bob.Account, 10 * Gpt);
        await alice.DepositAsync(Carol.Account, 2 * Gpt);
        await alice.AuthorizeSignerAsync(HotSigner.Address);
        var status = await alice.StatusAsync();
        Assert.Equal(RegistryDeployer.DefaultEscrowThaw, status.ThawPeriod);
        Assert.Equal([10 * Gpt, 2 * Gpt], status.Accounts.Select(a => a.Balance));
        Assert.Equal(HotSigner.Address, Assert.Single(status.Signers).Signer, StringComparer.OrdinalIgnoreCase);
        Assert.Null(status.Signers[0].RevokedUntil);

        var until = await alice.RevokeSignerAsync(HotSigner.Address);
        Assert.Equal(until, Assert.Single((await alice.StatusAsync()).Signers).RevokedUntil);

        var (thawing, endsAt) = await alice.ThawAsync(Bob.Account);
        Assert.Equal(10 * Gpt, thawing);
        var early = await Assert.ThrowsAsync<RegistryException>(() => alice.WithdrawAsync(Bob.Account));
        Assert.Equal(RegistryErrorCode.FailedPrecondition, early.Code);
        Assert.Contains("the thaw is not over", early.Message);
        Assert.Equal(endsAt, (await alice.StatusAsync(Bob.Account)).Accounts.Single().ThawEndsAt);
        await IncreaseTimeAsync(RegistryDeployer.DefaultEscrowThaw);
        Assert.Equal((10 * Gpt, BigInteger.Zero), await alice.WithdrawAsync(Bob.Account));

        var bad = await Assert.ThrowsAsync<RegistryException>(() => alice.DepositAsync("0x12", Gpt));
        Assert.Equal(RegistryErrorCode.InvalidArgument, bad.Code);
        var twice = await Assert.ThrowsAsync<RegistryException>(() => alice.WithdrawAsync(Bob.Account));
        Assert.Contains("nothing is thawing", twice.Message);
    }

    [Fact]
    public async Task Redeem_InChunks_ReportsAnUnderfundedVoucher_ThatPaysAfterATopUp()
    {
        await alice.DepositAsync(Bob.Account, 5 * Gpt);
        // 7 vouchers for 7 modules' worth would need more than the deposit: "beta" asks for 10 $GPT.
        var vouchers = new List<SignedVoucher>
        {
            Signed("alpha", 1 * Gpt),
            Signed("beta", 10 * Gpt),
            Signed("gamma", 1 * Gpt),
        };
        var report = await bob.RedeemAsync(vouchers, chunkSize: 2);
        Assert.Equal(2, report.Transactions.Count);
        Assert.Equal([RedeemOutcome.Paid, RedeemOutcome.Skipped, RedeemOutcome.Skipped], report.Items.Select(i => i.Outcome));
        Assert.Equal(RedeemSkipReason.Underfunded, report.Items[1].SkipReason);
        Assert.Contains("underfunded", report.Items[1].Reason);
        Assert.Equal(RedeemSkipReason.UnknownModule, report.Items[2].SkipReason);
        Assert.Equal(Gpt, report.Paid);

        await alice.DepositAsync(Bob.Account, 10 * Gpt);
        var again = await bob.RedeemAsync([vouchers[1]]);
        Assert.Equal(10 * Gpt, again.Paid);
        Assert.Equal(10 * Gpt, await bob.RedeemedAsync(Alice.Account, "beta"));
    }

    [Fact]
    public async Task Claim_PaysAStakersShare()
    {
        await Carol.StakeAsync("alpha", 100 * Gpt);
        await RpcAsync("evm_mine");
        await alice.DepositAsync(Bob.Account, 10 * Gpt);
        await bob.RedeemAsync([Signed("alpha", 10 * Gpt)]);
        var claimable = await carol.ClaimableAsync("alpha");
        Assert.Equal(Gpt, claimable); // the default split gives stakers 10%
        var before = await Carol.BalanceOfAsync(Carol.Account);
        Assert.Equal(claimable, await carol.ClaimAsync("alpha"));
        Assert.Equal(before + claimable, await Carol.BalanceOfAsync(Carol.Account));
        var nothing = await Assert.ThrowsAsync<RegistryException>(() => carol.ClaimAsync("alpha"));
        Assert.Contains("no rewards to claim", nothing.Message);
    }

    [Fact]
    public async Task Gate_AcceptsCoveringVouchers_AndRefusesEachWrongOne_SayingWhy()
    {
        await alice.DepositAsync(Bob.Account, 3 * Price);
        using var gate = Gate();
        var host = gate.Host.Address;

        var missing = await DeniedAsync(gate, null);
        Assert.Contains("alpha is paid: 0.001 $GPT per call", missing);
        Assert.Contains($"modulus pay deposit {host}", missing);

        var first = await gate.AuthorizeAsync(Call(Voucher(Price)), default);
        await gate.CommitAsync(first, Price, default);
        Assert.Contains("does not cover this call: 0.001 $GPT served", await DeniedAsync(gate, Voucher(Price)));

        Assert.Contains($"the voucher is for receiver {Carol.Account}", await DeniedAsync(gate, Voucher(2 * Price, receiver: Carol.Account)));
        var otherHost = Voucher(2 * Price, receiver: Carol.Account);
        otherHost.Receiver = string.Empty; // without the field in clear, the signature still refuses it
        Assert.Contains("recovers", await DeniedAsync(gate, otherHost));
        Assert.Contains("the voucher is signed for chain 1", await DeniedAsync(gate, Voucher(2 * Price, chain: 1)));
        var otherEscrow = Voucher(2 * Price, escrow: Alice.Deployment.Staking);
        Assert.Contains("signed for escrow", await DeniedAsync(gate, otherEscrow));
        otherEscrow.Escrow = string.Empty;
        Assert.Contains("signed for another host, chain, escrow, module or amount", await DeniedAsync(gate, otherEscrow));
        Assert.Contains("recovers", await DeniedAsync(gate, Voucher(2 * Price, module: "beta")));
        Assert.Contains($"{HotSigner.Address} is not a signer of", await DeniedAsync(gate, Voucher(2 * Price, signer: HotSigner)));

        var malformed = Voucher(2 * Price);
        malformed.Signature = Google.Protobuf.ByteString.CopyFrom(new byte[64]);
        var ex = await Assert.ThrowsAsync<ModulusException>(() => gate.AuthorizeAsync(Call(malformed), default).AsTask());
        Assert.Equal(StatusCode.Unauthenticated, ex.Code);

        // Authorized, the hot key pays too.
        await alice.AuthorizeSignerAsync(HotSigner.Address);
        using (var fresh = Gate("fresh"))
        {
            await fresh.CommitAsync(await fresh.AuthorizeAsync(Call(Voucher(Price, signer: HotSigner)), default), Price, default);
        }

        await gate.CommitAsync(await gate.AuthorizeAsync(Call(Voucher(2 * Price)), default), Price, default);
        // The deposit of 3 calls is all promised (one for "fresh", two here): a fourth is refused.
        await gate.CommitAsync(await gate.AuthorizeAsync(Call(Voucher(3 * Price)), default), Price, default);
        Assert.Contains("escrow for this host holds 0.003 $GPT not thawing", await DeniedAsync(gate, Voucher(4 * Price)));
    }

    [Fact]
    public async Task Gate_AMeteredCall_HoldsItsCredit_IsChargedWhatItServed_AndTheNextVoucherNeedsOnlyThatPlusItsOwnCredit()
    {
        await alice.DepositAsync(Bob.Account, Gpt);
        using var gate = Gate();
        // A credit of 10 calls' price for a stream: held whole while it runs, in flight it bars a
        // second call that the voucher does not cover beyond it.
        var stream = await gate.AuthorizeAsync(Call(Voucher(10 * Price)) with { Hold = 10 * Price }, default);
        Assert.Equal(10 * Price, stream.Price);
        Assert.Contains("does not cover this call: 0.01 $GPT served to", await DeniedAsync(gate, Voucher(10 * Price)));
        Assert.Contains("plus this call's credit of 0.01", (await Assert.ThrowsAsync<ModulusException>(() =>
            gate.AuthorizeAsync(Call(Voucher(15 * Price)) with { Hold = 10 * Price }, default).AsTask())).Message);

        // It delivered 3 calls' worth: served is that, and the next stream signs 3 + its own 10.
        await gate.CommitAsync(stream, 3 * Price, default);
        var entry = Assert.Single(gate.Ledger.Entries);
        Assert.Equal((3 * Price, 10 * Price, 1L), (entry.Served, entry.Voucher, entry.Calls));
        var next = await gate.AuthorizeAsync(Call(Voucher(13 * Price)) with { Hold = 10 * Price }, default);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => gate.CommitAsync(next, 11 * Price, default).AsTask());
    }

    [Fact]
    public async Task Gate_OutOfOrderVouchers_InFlight_AreAllCovered_AndAFailedCallIsNotCharged()
    {
        await alice.DepositAsync(Bob.Account, Gpt);
        using var gate = Gate();
        var second = await gate.AuthorizeAsync(Call(Voucher(2 * Price)), default);
        var first = await gate.AuthorizeAsync(Call(Voucher(Price)), default);
        await gate.CommitAsync(second, Price, default);
        await gate.CommitAsync(first, Price, default);
        var failed = await gate.AuthorizeAsync(Call(Voucher(3 * Price)), default);
        gate.Release(failed);
        var entry = Assert.Single(gate.Ledger.Entries);
        Assert.Equal((2 * Price, 2 * Price, 2L), (entry.Served, entry.Voucher, entry.Calls));
        // The voucher for 3 calls is still good for the third call, since the failed one was not charged.
        await gate.CommitAsync(await gate.AuthorizeAsync(Call(Voucher(3 * Price)), default), Price, default);
    }

    [Fact]
    public async Task Redeemer_RedeemsWhatTheGateAccepted_AndTheLedgerRemembersAcrossARestart()
    {
        await alice.DepositAsync(Bob.Account, Gpt);
        var bobBefore = await Bob.BalanceOfAsync(Bob.Account);
        using (var gate = Gate())
        {
            for (var i = 1; i <= 5; i++)
            {
                await gate.CommitAsync(await gate.AuthorizeAsync(Call(Voucher(i * Price)), default), Price, default);
            }
        }

        // A new host process: the ledger holds the five calls; the redeemer pays them.
        using var reopened = Gate();
        var redeemer = new VoucherRedeemer(reopened, bob, Options(), TimeProvider.System, NullLogger<VoucherRedeemer>.Instance);
        Assert.Equal(5 * Price, redeemer.Owed);
        var report = await redeemer.RedeemAllAsync(default);
        Assert.Equal(5 * Price, report.Paid);
        Assert.Equal(BigInteger.Zero, redeemer.Owed);
        Assert.Equal(5 * Price, Assert.Single(reopened.Ledger.Entries).Redeemed);
        Assert.Equal(bobBefore + 5 * Price * 7 / 10, await Bob.BalanceOfAsync(Bob.Account));
        // Served calls continue from the ledger: the next voucher must cover six.
        Assert.Contains("does not cover", await DeniedAsync(reopened, Voucher(5 * Price)));
        await reopened.CommitAsync(await reopened.AuthorizeAsync(Call(Voucher(6 * Price)), default), Price, default);
    }

    [Fact]
    public async Task Ledger_AbandonedWithATornLastRecord_KeepsEveryWholeRecord_AndSaysSo()
    {
        var path = Path.Combine(_folder, "torn", "vouchers.log");
        var ledger = VoucherLedger.Open(path);
        for (var i = 1; i <= 20; i++)
        {
            await ledger.WriteAsync(new LedgerEntry(Alice.Account, i % 2 == 0 ? "alpha" : "beta", i * Price, i * Price, [1, 2, 3], Alice.Account, 0, i));
        }

        // The file is grown ahead of its records in zeros, which the records overwrite; a clean
        // close trims them.
        var end = ledger.Length;
        Assert.Equal(VoucherLedger.Chunk, new FileInfo(path).Length);
        ledger.Dispose();
        Assert.Equal(end, new FileInfo(path).Length);

        // As a host killed mid-write leaves it: the last record's last 10 bytes never reached the
        // disk, and a stray piece of a later page did, beyond zeros.
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Position = end - 10;
            file.Write(new byte[10]);
            file.Position = end + 4000;
            file.Write("0badc0de {\"payer\""u8);
        }

        var logs = new CapturingLoggerProvider();
        using (var reopened = VoucherLedger.Open(path, logs.CreateLogger("ledger")))
        {
            Assert.Equal([(18 * Price, 18L), (19 * Price, 19L)], reopened.Entries.Select(e => (e.Served, e.Calls)));
            Assert.Contains(logs.Entries, e => e.EventName == "LedgerTornTail");
            await reopened.WriteAsync(new LedgerEntry(Alice.Account, "alpha", 30 * Price, 30 * Price, [1], null, 0, 30));
            Assert.Equal(30 * Price, VoucherLedger.ReadOnly(path).Find(Alice.Account, "alpha")!.Served);
        }

        // Closed cleanly, the file is its records alone, and nothing in it is torn any more.
        var again = new CapturingLoggerProvider();
        using var third = VoucherLedger.Open(path, again.CreateLogger("ledger"));
        Assert.DoesNotContain(again.Entries, e => e.EventName is "LedgerTornTail" or "LedgerDamagedLine");
        Assert.Equal([(30 * Price, 30L), (19 * Price, 19L)], third.Entries.Select(e => (e.Served, e.Calls)));
        Assert.True(File.ReadAllBytes(path).AsSpan(0, (int)third.Length).IndexOf((byte)0) < 0);
    }

    [Fact]
    public async Task Ledger_ManyWritersAtOnce_EachRecordIsInTheFileWhenItsWaitReturns_AndAWriteNobodyWaitsForStallsNoOne()
    {
        var path = Path.Combine(_folder, "group", "vouchers.log");
        using var ledger = VoucherLedger.Open(path);
        // 64 writers at once (their syncs grouped), 25 records each; a record is in the file as
        // soon as its wait returns, and the last of each writer's wins on replay. Before each, a
        // writer queues a record it never waits for: a sync is never handed to that one, so nobody
        // stalls, and the next sync writes it.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            for (var i = 1; i <= 25; i++)
            {
                ledger.Append(new LedgerEntry(Alice.Account, $"abandoned{w}", i * Price, i * Price, [1], null, 0, i));

                var entry = new LedgerEntry(Alice.Account, $"m{w}", i * Price, i * Price, [1], null, 0, i);
                await ledger.WriteAsync(entry);
                if (i is 1 or 13)
                {
                    Assert.Equal(i, VoucherLedger.ReadOnly(path).Find(Alice.Account, $"m{w}")!.Calls);
                }
            }
        }))).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(128, ledger.Entries.Count);
        Assert.All(ledger.Entries, e => Assert.Equal(25L, e.Calls));
        Assert.Equal(64 * 50, File.ReadAllText(path).Count(c => c == '\n'));
        Assert.Equal(128, VoucherLedger.ReadOnly(path).Entries.Count);
    }

    [Fact]
    public async Task Ledger_AFileThatIsNotOne_IsRefusedByReadersAndWriters_AndLeftAsItWas()
    {
        // Random bytes (no zero among them, which would end the records at once), and a text file:
        // neither holds a record, so neither may read as "nothing owed", nor be zeroed by a host.
        var noise = new byte[5000];
        new Random(7).NextBytes(noise);
        noise = [.. noise.Select(b => b == 0 ? (byte)1 : b)];
        foreach (var (name, content) in new[] { ("noise.bin", noise), ("notes.txt", "hello\nworld\n"u8.ToArray()) })
        {
            var path = Path.Combine(_folder, name);
            File.WriteAllBytes(path, content);
            var logs = new CapturingLoggerProvider();
            var read = Assert.Throws<InvalidDataException>(() => VoucherLedger.ReadOnly(path, logs.CreateLogger("ledger")));
            Assert.Contains($"{path} is not a voucher ledger", read.Message);
            Assert.Contains("line 1 is not one", read.Message);
            Assert.Throws<InvalidDataException>(() => VoucherLedger.Open(path, logs.CreateLogger("ledger")));
            Assert.Equal(content, File.ReadAllBytes(path));
            // Refused whole: not a warning per line of a file that was never a ledger.
            Assert.DoesNotContain(logs.Entries, e => e.EventName == "LedgerDamagedLine");
        }

        // A directory is not a ledger either, and says so.
        var directory = Directory.CreateDirectory(Path.Combine(_folder, "a-directory")).FullName;
        Assert.Contains($"the voucher ledger {directory} is a directory: pass the ledger file itself", Assert.Throws<InvalidDataException>(() => VoucherLedger.Open(directory)).Message);
        Assert.Contains("is a directory", Assert.Throws<InvalidDataException>(() => VoucherLedger.ReadOnly(directory)).Message);

        // What a host may leave is still a ledger: an empty file, zeros, or the torn first record of
        // a host killed mid-write (which a writer zeroes).
        var empty = Path.Combine(_folder, "empty.log");
        File.WriteAllBytes(empty, []);
        Assert.Empty(VoucherLedger.ReadOnly(empty).Entries);
        var zeros = Path.Combine(_folder, "zeros.log");
        File.WriteAllBytes(zeros, new byte[4096]);
        Assert.Empty(VoucherLedger.ReadOnly(zeros).Entries);
        var torn = Path.Combine(_folder, "torn-first.log");
        File.WriteAllBytes(torn, "0badc0de {\"payer\":\"0x"u8.ToArray());
        Assert.Empty(VoucherLedger.ReadOnly(torn).Entries);
        using (var writer = VoucherLedger.Open(torn))
        {
            await writer.WriteAsync(new LedgerEntry(Alice.Account, "alpha", Price, Price, [1], null, 0, 1));
        }

        Assert.Equal(1L, VoucherLedger.ReadOnly(torn).Find(Alice.Account, "alpha")!.Calls);

        // A ledger with a damaged record among whole ones is read, and names the damaged line.
        var damaged = Path.Combine(_folder, "damaged.log");
        using (var writer = VoucherLedger.Open(damaged))
        {
            for (var i = 1; i <= 3; i++)
            {
                await writer.WriteAsync(new LedgerEntry(Alice.Account, "alpha", i * Price, i * Price, [1], null, 0, i));
            }
        }

        var lines = File.ReadAllLines(damaged);
        lines[1] = lines[1].Replace("\"calls\":2", "\"calls\":9", StringComparison.Ordinal);
        File.WriteAllLines(damaged, lines);
        var warnings = new CapturingLoggerProvider();
        var book = VoucherLedger.ReadOnly(damaged, warnings.CreateLogger("ledger"));
        Assert.Equal([2], book.DamagedLines);
        Assert.Single(warnings.Entries, e => e.EventName == "LedgerDamagedLine");
        Assert.Equal(3L, book.Find(Alice.Account, "alpha")!.Calls);
    }

    [Fact]
    public async Task Ledger_HeldByOneHost_IsRefusedToASecond_ButReadableBeside()
    {
        var path = Path.Combine(_folder, "held.log");
        using var first = VoucherLedger.Open(path);
        await first.WriteAsync(new LedgerEntry(Alice.Account, "alpha", Price, Price, [1], null, 0, 1));
        Assert.ThrowsAny<IOException>(() => VoucherLedger.Open(path));
        Assert.Equal(Price, VoucherLedger.ReadOnly(path).Find(Alice.Account, "alpha")!.Served);
    }

    [Fact]
    public async Task Ledger_Closed_RefusesWrites_WithWhy()
    {
        var path = Path.Combine(_folder, "closed.log");
        var ledger = VoucherLedger.Open(path);
        await ledger.WriteAsync(new LedgerEntry(Alice.Account, "alpha", Price, Price, [1], null, 0, 1));
        ledger.Dispose();
        var refused = await Assert.ThrowsAsync<IOException>(() => ledger.WriteAsync(new LedgerEntry(Alice.Account, "alpha", 2 * Price, 2 * Price, [1], null, 0, 2)).AsTask());
        Assert.Contains("is closed", refused.Message);
        Assert.Equal(1L, VoucherLedger.ReadOnly(path).Find(Alice.Account, "alpha")!.Calls);
    }

    [Fact]
    public async Task Gate_VouchersFromKeysThatNeverDeposited_AreRefused_AndCostTheHostNoMemoryBeyondItsBound()
    {
        await alice.DepositAsync(Bob.Account, Gpt);
        using var gate = new EscrowPaymentGate(
            new HostIdentity(Bob.Account, 31337),
            new EscrowContracts(Carol.Web3, Carol.Deployment),
            VoucherLedger.Open(Path.Combine(_folder, "strangers.log")),
            Microsoft.Extensions.Options.Options.Create(new PaymentOptions { ChainCacheEntries = 10, MaxChainReads = 2 }),
            TimeProvider.System,
            NullLogger<EscrowPaymentGate>.Instance);
        var d = new VoucherDigest(31337, Alice.Deployment.Escrow!);

        // 40 new keys at once, each signing a good voucher for itself with nothing deposited.
        var refusals = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            var stranger = CallSigner.FromPrivateKey(RandomNumberGenerator.GetBytes(32));
            return await DeniedAsync(gate, d.Sign(stranger, stranger.Address, Bob.Account, "alpha", Price));
        }));
        Assert.All(refusals, m => Assert.Contains("escrow for this host holds 0 $GPT not thawing", m));
        Assert.Equal(0, gate.Remembered.Payers);
        Assert.InRange(gate.Remembered.CachedReads, 1, 10);

        // A payer who did deposit is served as before, and remembered.
        await gate.CommitAsync(await gate.AuthorizeAsync(Call(Voucher(Price)), default), Price, default);
        Assert.Equal(1, gate.Remembered.Payers);
    }

    [Fact]
    public async Task Gate_AnAddressSendingRefusedVouchers_IsRefusedUncheckedForAMoment_WhileOthersAndItsGoodPayersLaterAreServed()
    {
        await alice.DepositAsync(Bob.Account, Gpt);
        var clock = new ManualClock();
        using var gate = new EscrowPaymentGate(
            new HostIdentity(Bob.Account, 31337),
            new EscrowContracts(Carol.Web3, Carol.Deployment),
            VoucherLedger.Open(Path.Combine(_folder, "refusals.log")),
            Microsoft.Extensions.Options.Options.Create(new PaymentOptions { ChainCacheAge = TimeSpan.Zero, MaxRefusedVouchersPerSecond = 5 }),
            clock,
            NullLogger<EscrowPaymentGate>.Instance);
        const string attacker = "127.0.0.9", neighbour = "127.0.0.10";
        using var unused = VoucherLedger.Open(Path.Combine(_folder, "negative.log"));
        var negative = Assert.Throws<ArgumentException>(() => new EscrowPaymentGate(
            new HostIdentity(Bob.Account, 31337),
            new EscrowContracts(Carol.Web3, Carol.Deployment),
            unused,
            Microsoft.Extensions.Options.Options.Create(new PaymentOptions { MaxRefusedVouchersPerSecond = -5 }),
            clock,
            NullLogger<EscrowPaymentGate>.Instance));
        Assert.Contains(":MaxRefusedVouchersPerSecond -5", negative.Message);
        PaidCall From(string peer, Protocol.V1.Voucher voucher) => Call(voucher) with { Peer = peer };

        // Five refusals (vouchers for another host) are checked and refused with why; the sixth is
        // refused before any check, saying how long for and what the last refusal said.
        var other = Voucher(Price, receiver: Carol.Account);
        for (var i = 0; i < 5; i++)
        {
            var denied = await Assert.ThrowsAsync<ModulusException>(() => gate.AuthorizeAsync(From(attacker, other), default).AsTask());
            Assert.Equal(StatusCode.PermissionDenied, denied.Code);
        }

        var exhausted = await Assert.ThrowsAsync<ModulusException>(() => gate.AuthorizeAsync(From(attacker, other), default).AsTask());
        Assert.Equal(StatusCode.ResourceExhausted, exhausted.Code);
        Assert.Contains($"address {attacker} sent more than 5 refused vouchers a second (Modulus:Payments:MaxRefusedVouchersPerSecond)", exhausted.Message);
        Assert.Contains($"the voucher is for receiver {Carol.Account}", exhausted.Message);

        // Unchecked means a good voucher from that address waits too; another address is served.
        Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<ModulusException>(() => gate.AuthorizeAsync(From(attacker, Voucher(Price)), default).AsTask())).Code);
        await gate.CommitAsync(await gate.AuthorizeAsync(From(neighbour, Voucher(Price)), default), Price, default);

        // A token grows back in a fifth of a second: the address's good voucher is then accepted, and
        // accepted vouchers spend nothing, so its payer goes on at any rate.
        clock.Advance(TimeSpan.FromMilliseconds(200));
        for (var i = 2; i <= 30; i++)
        {
            await gate.CommitAsync(await gate.AuthorizeAsync(From(attacker, Voucher(i * Price)), default), Price, default);
        }

        Assert.Equal(30L, gate.Ledger.Find(Alice.Account, "alpha")!.Calls);
    }

    [Fact]
    public void RefusalBudget_TracksAtMostItsBound_OfAddresses_DroppingIdleOnesFirst()
    {
        var clock = new ManualClock();
        var budget = new RefusalBudget(2, clock, maxAddresses: 3);
        foreach (var address in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4" })
        {
            budget.Refused(address, "bad");
            budget.Refused(address, "bad");
        }

        // The fourth address was not tracked (none of the three was idle), so it is not limited.
        Assert.Equal(3, budget.Count);
        Assert.NotNull(budget.Exhausted("127.0.0.1"));
        Assert.Null(budget.Exhausted("127.0.0.4"));

        // A second on, the three buckets are full again: the sweep drops them for the new address.
        clock.Advance(TimeSpan.FromSeconds(1));
        budget.Refused("127.0.0.5", "bad");
        Assert.Equal(1, budget.Count);
        Assert.Null(budget.Exhausted("127.0.0.1"));
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private EscrowPaymentGate Gate(string ledger = "vouchers.log") => new(
        new HostIdentity(Bob.Account, 31337),
        new EscrowContracts(Carol.Web3, Carol.Deployment),
        VoucherLedger.Open(Path.Combine(_folder, ledger)),
        Options(),
        TimeProvider.System,
        NullLogger<EscrowPaymentGate>.Instance);

    private static IOptions<PaymentOptions> Options() => Microsoft.Extensions.Options.Options.Create(new PaymentOptions { ChainCacheAge = TimeSpan.Zero });

    private static PaidCall Call(Protocol.V1.Voucher? voucher, string module = "alpha") => new(module, "forward", Price, voucher, null, Price);

    private Protocol.V1.Voucher Voucher(BigInteger cumulative, string? receiver = null, ulong? chain = null, string? escrow = null, string module = "alpha", CallSigner? signer = null)
    {
        var d = new VoucherDigest(chain ?? 31337, escrow ?? Alice.Deployment.Escrow!);
        return d.Sign(signer ?? AliceSigner, Alice.Account, receiver ?? Bob.Account, module, cumulative);
    }

    private static async Task<string> DeniedAsync(EscrowPaymentGate gate, Protocol.V1.Voucher? voucher)
    {
        var ex = await Assert.ThrowsAsync<ModulusException>(() => gate.AuthorizeAsync(Call(voucher), default).AsTask());
        Assert.Equal(StatusCode.PermissionDenied, ex.Code);
        return ex.Message;
    }

    private SignedVoucher Signed(string module, BigInteger cumulative) =>
        new(Alice.Account, module, cumulative, digest.Sign(AliceSigner, Alice.Account, Bob.Account, module, cumulative).Signature.ToByteArray());
}
