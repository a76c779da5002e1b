using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;

namespace Modulus.Registry.Tests;

/// <summary>
/// A seeded random sequence of escrow and staking operations against a real Anvil, checked after
/// every step against a model of what the contracts should have done, and against the money
/// invariants: the escrow holds deposits minus withdrawals minus payments, and the owner, the
/// hosts and the staking contract received exactly what was paid.
/// </summary>
[Collection("anvil")]
public sealed class EscrowInvariantTests(AnvilFixture anvil) : ChainTest(anvil)
{
    private const int Steps = 300;

    private static readonly EthECKey HotKey = new("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");

    [Fact]
    public async Task MoneyIsConserved_AndEveryRedemptionIsWhatTheModelPredicts_OverARandomSequence()
    {
        var random = new Random(20261201);
        var daveWeb3 = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(EscrowContractTests.DaveKey, 31337), RpcUrl);
        daveWeb3.TransactionManager.UseLegacyAsDefault = true;
        var dave = new RegistryContracts(daveWeb3, Deployer.Deployment);
        await Deployer.ClaimNameAsync("alpha");
        await Deployer.ClaimNameAsync("beta");
        // "ghost" is never claimed: vouchers for it are skipped as UnknownModule.
        string[] modules = ["alpha", "beta", "ghost"];
        foreach (var who in new[] { Alice, Carol })
        {
            await Deployer.MintAsync(who.Account, 100_000 * Gpt);
        }

        var owner = Escrow(Deployer);
        var payers = new[] { (Contracts: Escrow(Alice), Key: new EthECKey(AnvilNode.DevPrivateKeys[1])), (Contracts: Escrow(Carol), Key: new EthECKey(AnvilNode.DevPrivateKeys[3])) };
        var receivers = new[] { Escrow(Bob), Escrow(dave) };
        var stakers = new[] { Alice, Carol };
        await payers[0].Contracts.AuthorizeSignerAsync(HotKey.GetPublicAddress());

        var model = new Model();
        var ownerStart = await Deployer.BalanceOfAsync(Deployer.Account);
        var hostStart = new Dictionary<string, BigInteger>();
        foreach (var r in receivers)
        {
            hostStart[r.Account] = await Deployer.BalanceOfAsync(r.Account);
        }

        var outcomes = new Dictionary<string, int>();
        void Count(string what) => outcomes[what] = outcomes.GetValueOrDefault(what) + 1;

        for (var step = 0; step < Steps; step++)
        {
            var (payer, key) = payers[random.Next(payers.Length)];
            var receiver = receivers[random.Next(receivers.Length)];
            var module = modules[random.Next(modules.Length)];
            var pair = (payer.Account, receiver.Account);
            switch (random.Next(12))
            {
                case 0 or 1:
                {
                    var amount = Gpt * random.Next(1, 40);
                    await payer.DepositAsync(receiver.Account, amount);
                    model.Balance[pair] = model.Balance.GetValueOrDefault(pair) + amount;
                    model.Deposits += amount;
                    Count("deposit");
                    break;
                }

                case 2 or 3 or 4:
                {
                    // Calls served: the payer signs a higher cumulative amount; the host keeps the latest
                    // and, now and then, an older one it will try to replay.
                    var triple = (payer.Account, receiver.Account, module);
                    var cumulative = model.Signed.GetValueOrDefault(triple) + Gpt * random.Next(1, 20) / 4;
                    model.Signed[triple] = cumulative;
                    var signWith = random.Next(4) == 0 ? HotKey : key;
                    var signed = payer.SignVoucher(signWith, payer.Account, receiver.Account, module, cumulative);
                    model.Latest.TryGetValue(triple, out var previous);
                    model.Latest[triple] = (signed.Voucher, signed.Signature, signWith == key || payer.Account == Alice.Account);
                    if (previous.Voucher is not null && random.Next(3) == 0)
                    {
                        model.Stale.Add(previous);
                    }

                    Count("sign");
                    break;
                }

                case 5 or 6:
                {
                    var batch = model.Latest.Where(kv => kv.Key.Item2 == receiver.Account && random.Next(3) != 0).Select(kv => kv.Value)
                        .Concat(model.Stale.Where(s => s.Voucher.Receiver == receiver.Account && random.Next(2) == 0))
                        .OrderBy(_ => random.Next()).ToList();
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    var expected = new List<string>();
                    foreach (var (voucher, _, authorized) in batch)
                    {
                        expected.Add(model.Redeem(voucher, authorized, out var paid));
                        Count(expected[^1].StartsWith("paid", StringComparison.Ordinal) ? "paid" : expected[^1]);
                    }

                    var receipt = await receiver.RedeemAsync([.. batch.Select(b => (b.Voucher, b.Signature))]);
                    var actual = receipt.DecodeAllEvents<RedeemedEvent>().Select(e => (e.Log.LogIndex.Value, Text: Model.Paid(e.Event)))
                        .Concat(receipt.DecodeAllEvents<RedeemSkippedEvent>().Select(e => (e.Log.LogIndex.Value, Text: $"skip {(RedeemSkipReason)e.Event.Reason}")))
                        .OrderBy(e => e.Value).Select(e => e.Text).ToList();
                    Assert.Equal(expected, actual);
                    // One distribution per module per batch; its division rounds down by less than
                    // one wei per whole $GPT counting.
                    foreach (var distributed in receipt.DecodeAllEvents<RewardsDistributedEvent>())
                    {
                        model.DustBound += distributed.Event.CountingStake / Gpt + 1;
                    }

                    foreach (var e in receipt.DecodeAllEvents<RedeemedEvent>())
                    {
                        model.Payments += e.Event.Amount;
                        model.OwnerPaid += e.Event.OwnerAmount;
                        model.HostPaid[e.Event.Receiver.ToLowerInvariant()] = model.HostPaid.GetValueOrDefault(e.Event.Receiver.ToLowerInvariant()) + e.Event.HostAmount;
                        model.StakersPaid += e.Event.StakersAmount;
                    }

                    break;
                }

                case 7:
                {
                    var amount = Gpt * random.Next(1, 30);
                    var thawing = model.Thawing.GetValueOrDefault(pair) + amount;
                    if (thawing > model.Balance.GetValueOrDefault(pair))
                    {
                        await RevertsWithAsync<InsufficientBalanceError>(() => payer.ThawAsync(receiver.Account, amount));
                        Count("thaw refused");
                    }
                    else
                    {
                        await payer.ThawAsync(receiver.Account, amount);
                        model.Thawing[pair] = thawing;
                        // A new thaw request restarts the wait for the whole thawing amount.
                        model.ThawedPairs.Remove(pair);
                        Count("thaw");
                    }

                    break;
                }

                case 8:
                {
                    if (random.Next(2) == 0)
                    {
                        await IncreaseTimeAsync(RegistryDeployer.DefaultEscrowThaw + TimeSpan.FromSeconds(1));
                        model.ThawedPairs.UnionWith(model.Thawing.Keys);
                        // Splits set before the jump have waited their thaw period: they apply now.
                        foreach (var (m, split) in model.PendingShares)
                        {
                            model.Shares[m] = split;
                        }

                        model.PendingShares.Clear();
                    }

                    if (model.Thawing.GetValueOrDefault(pair) == 0)
                    {
                        await RevertsWithAsync<NothingThawingError>(() => payer.WithdrawAsync(receiver.Account));
                        Count("withdraw: nothing thawing");
                    }
                    else if (!model.ThawedPairs.Contains(pair))
                    {
                        await RevertsWithAsync<ThawNotOverError>(() => payer.WithdrawAsync(receiver.Account));
                        Count("withdraw: too early");
                    }
                    else
                    {
                        var withdrawn = Assert.Single((await payer.WithdrawAsync(receiver.Account)).DecodeAllEvents<EscrowWithdrawnEvent>()).Event;
                        var expected = BigInteger.Min(model.Thawing[pair], model.Balance[pair]);
                        Assert.Equal(expected, withdrawn.Amount);
                        model.Balance[pair] -= expected;
                        model.Withdrawals += expected;
                        model.Thawing.Remove(pair);
                        model.ThawedPairs.Remove(pair);
                        Count("withdraw");
                    }

                    break;
                }

                case 9:
                {
                    var staker = stakers[random.Next(stakers.Length)];
                    var stakeKey = (staker.Account, module);
                    if (module == "ghost")
                    {
                        await RevertsWithAsync<UnknownModuleError>(() => staker.StakeAsync(module, Gpt));
                    }
                    else if (random.Next(3) != 0)
                    {
                        var amount = Gpt * random.Next(1, 100);
                        await staker.StakeAsync(module, amount);
                        model.Stake[stakeKey] = model.Stake.GetValueOrDefault(stakeKey) + amount;
                        Count("stake");
                    }
                    else
                    {
                        var amount = Gpt * random.Next(1, 60);
                        if (amount > model.Stake.GetValueOrDefault(stakeKey))
                        {
                            await RevertsWithAsync<InsufficientStakeError>(() => staker.RequestUnstakeAsync(module, amount));
                        }
                        else
                        {
                            await staker.RequestUnstakeAsync(module, amount);
                            model.Stake[stakeKey] -= amount;
                            Count("unstake");
                        }
                    }

                    break;
                }

                case 10:
                {
                    var staker = Escrow(stakers[random.Next(stakers.Length)]);
                    var due = await staker.ClaimableAsync(module, staker.Account);
                    if (due == 0)
                    {
                        await RevertsWithAsync<NothingToClaimError>(() => staker.ClaimRewardsAsync(module));
                    }
                    else
                    {
                        var claimed = Assert.Single((await staker.ClaimRewardsAsync(module)).DecodeAllEvents<RewardsClaimedEvent>()).Event;
                        Assert.Equal(due, claimed.Amount);
                        model.Claimed += due;
                        Count("claim");
                    }

                    break;
                }

                default:
                {
                    var host = (ushort)random.Next(1_500, 10_001);
                    var stakersBps = (ushort)random.Next(0, 6_001);
                    if (module == "ghost")
                    {
                        await RevertsWithAsync<UnknownModuleNameError>(() => owner.SetSharesAsync(module, host, stakersBps));
                    }
                    else if (host < 2_000)
                    {
                        await RevertsWithAsync<HostShareTooLowError>(() => owner.SetSharesAsync(module, host, stakersBps));
                    }
                    else if (stakersBps > 5_000)
                    {
                        await RevertsWithAsync<StakersShareTooHighError>(() => owner.SetSharesAsync(module, host, stakersBps));
                    }
                    else if (host + stakersBps > 10_000)
                    {
                        await RevertsWithAsync<SharesOverTotalError>(() => owner.SetSharesAsync(module, host, stakersBps));
                    }
                    else
                    {
                        await owner.SetSharesAsync(module, host, stakersBps);
                        // It applies after the thaw period (the next time jump), replacing any split still waiting.
                        model.PendingShares[module] = (host, stakersBps);
                        Count("set shares");
                    }

                    break;
                }
            }

            await AssertInvariantsAsync(model, payers.Select(p => p.Contracts).ToArray(), receivers, stakers, modules, ownerStart, hostStart, step);
        }

        // The sequence must have exercised every path it checks, or the test proves little.
        foreach (var path in new[] { "deposit", "paid", "skip NotIncreasing", "skip Underfunded", "skip UnauthorizedSigner", "skip UnknownModule", "withdraw", "withdraw: too early", "stake", "unstake", "claim", "set shares" })
        {
            Assert.True(outcomes.GetValueOrDefault(path) > 0, $"the sequence never did \"{path}\": {string.Join(", ", outcomes.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }
    }

    private EscrowContracts Escrow(RegistryContracts who) => new(who.Web3, who.Deployment);

    private async Task AssertInvariantsAsync(
        Model model, EscrowContracts[] payers, EscrowContracts[] receivers, RegistryContracts[] stakers, string[] modules,
        BigInteger ownerStart, Dictionary<string, BigInteger> hostStart, int step)
    {
        var escrow = Deployer.Deployment.Escrow!;
        var held = await Deployer.BalanceOfAsync(escrow);
        Assert.True(held == model.Deposits - model.Withdrawals - model.Payments, $"step {step}: the escrow holds {held}, not deposits - withdrawals - payments");
        BigInteger balances = 0;
        foreach (var p in payers)
        {
            foreach (var r in receivers)
            {
                var account = await p.AccountOfAsync(p.Account, r.Account);
                Assert.Equal(model.Balance.GetValueOrDefault((p.Account, r.Account)), account.Balance);
                Assert.Equal(model.Thawing.GetValueOrDefault((p.Account, r.Account)), account.Thawing);
                balances += account.Balance;
            }
        }

        Assert.Equal(held, balances);
        Assert.Equal(model.Payments, model.OwnerPaid + model.HostPaid.Values.Aggregate(BigInteger.Zero, (a, b) => a + b) + model.StakersPaid);
        Assert.Equal(ownerStart + model.OwnerPaid, await Deployer.BalanceOfAsync(Deployer.Account));
        foreach (var r in receivers)
        {
            Assert.Equal(hostStart[r.Account] + model.HostPaid.GetValueOrDefault(r.Account.ToLowerInvariant()), await Deployer.BalanceOfAsync(r.Account));
        }

        var staking = Deployer.Deployment.Staking;
        Assert.Equal(await Deployer.TotalHeldAsync() + model.StakersPaid - model.Claimed, await Deployer.BalanceOfAsync(staking));
        BigInteger claimable = 0;
        foreach (var s in stakers)
        {
            foreach (var m in modules)
            {
                claimable += await payers[0].ClaimableAsync(m, s.Account);
            }
        }

        // The accumulator and each settlement round down, so stakers may be owed a few wei less than
        // they were given, never more: at most the distributions' rounding plus a wei per settlement.
        var dust = model.StakersPaid - model.Claimed - claimable;
        Assert.True(dust >= 0 && dust <= model.DustBound + 2 * step, $"step {step}: stakers were given {model.StakersPaid}, claimed {model.Claimed} and may claim {claimable}");
    }

    private sealed class Model
    {
        public Dictionary<(string Payer, string Receiver), BigInteger> Balance { get; } = [];

        public Dictionary<(string Payer, string Receiver), BigInteger> Thawing { get; } = [];

        public HashSet<(string Payer, string Receiver)> ThawedPairs { get; } = [];

        public Dictionary<(string Payer, string Receiver, string Module), BigInteger> Signed { get; } = [];

        public Dictionary<(string Payer, string Receiver, string Module), BigInteger> Redeemed { get; } = [];

        public Dictionary<(string Payer, string Receiver, string Module), (Voucher Voucher, byte[] Signature, bool Authorized)> Latest { get; } = [];

        public List<(Voucher Voucher, byte[] Signature, bool Authorized)> Stale { get; } = [];

        public Dictionary<string, (int Host, int Stakers)> Shares { get; } = [];

        public Dictionary<string, (int Host, int Stakers)> PendingShares { get; } = [];

        public Dictionary<(string Staker, string Module), BigInteger> Stake { get; } = [];

        public BigInteger Deposits { get; set; }

        public BigInteger Withdrawals { get; set; }

        public BigInteger Payments { get; set; }

        public BigInteger OwnerPaid { get; set; }

        public Dictionary<string, BigInteger> HostPaid { get; } = [];

        public BigInteger StakersPaid { get; set; }

        public BigInteger Claimed { get; set; }

        public BigInteger DustBound { get; set; }

        public static string Paid(RedeemedEvent e) => $"paid {e.Amount} owner {e.OwnerAmount} host {e.HostAmount} stakers {e.StakersAmount}";

        /// <summary>What the escrow must do with the voucher, in the contract's order of checks; updates the model when it pays.</summary>
        public string Redeem(Voucher v, bool authorized, out BigInteger paid)
        {
            paid = 0;
            var pair = (v.Payer, v.Receiver);
            var triple = (v.Payer, v.Receiver, v.Module);
            var last = Redeemed.GetValueOrDefault(triple);
            if (v.CumulativeAmount <= last)
            {
                return "skip NotIncreasing";
            }

            if (!authorized)
            {
                return "skip UnauthorizedSigner";
            }

            var amount = v.CumulativeAmount - last;
            if (Balance.GetValueOrDefault(pair) < amount)
            {
                return "skip Underfunded";
            }

            if (v.Module == "ghost")
            {
                return "skip UnknownModule";
            }

            var (hostBps, stakersBps) = Shares.GetValueOrDefault(v.Module, (7_000, 1_000));
            var host = amount * hostBps / 10_000;
            var stakers = amount * stakersBps / 10_000;
            // Every transaction is its own block here, so all stake made before this one counts.
            var counting = Stake.Where(kv => kv.Key.Module == v.Module).Aggregate(BigInteger.Zero, (a, kv) => a + kv.Value);
            if (counting == 0)
            {
                stakers = 0;
            }

            Balance[pair] -= amount;
            Redeemed[triple] = v.CumulativeAmount;
            paid = amount;
            return $"paid {amount} owner {amount - host - stakers} host {host} stakers {stakers}";
        }
    }
}
