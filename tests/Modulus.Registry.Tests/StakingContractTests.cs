using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;

namespace Modulus.Registry.Tests;

[Collection("anvil")]
public sealed class StakingContractTests(AnvilFixture anvil) : ChainTest(anvil)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Deployer.ClaimNameAsync("alpha");
        await Deployer.ClaimNameAsync("beta");
        foreach (var who in new[] { Alice, Bob, Carol })
        {
            await Deployer.MintAsync(who.Account, 1_000 * Gpt);
        }
    }

    [Fact]
    public async Task Stake_CountsFromTheNextBlock_AndAddsUpPerModule()
    {
        await Alice.StakeAsync("alpha", 100 * Gpt);
        await Bob.StakeAsync("alpha", 50 * Gpt);
        Assert.Equal(150 * Gpt, await Alice.TotalStakeAsync("alpha"));
        Assert.Equal(900 * Gpt, await Alice.BalanceOfAsync(Alice.Account));
        var position = await Alice.PositionAsync("alpha", Alice.Account);
        Assert.Equal(100 * Gpt, position.Counting);
    }

    [Fact]
    public async Task StakeOnAnUnknownModule_OrOfNothing_Reverts()
    {
        await RevertsWithAsync<UnknownModuleError>(() => Alice.StakeAsync("nobody", Gpt));
        await RevertsWithAsync<ZeroAmountError>(() => Alice.StakeAsync("alpha", 0));
    }

    [Fact]
    public async Task Withdraw_BeforeTheCooldown_Reverts_AfterIt_PaysOut()
    {
        await Alice.StakeAsync("alpha", 100 * Gpt);
        await Alice.RequestUnstakeAsync("alpha", 40 * Gpt);
        Assert.Equal(60 * Gpt, await Alice.TotalStakeAsync("alpha"));
        var early = await RevertsWithAsync<CooldownNotOverError>(() => Alice.WithdrawStakeAsync("alpha"));
        Assert.True(early.UnlocksAt > early.NowTime);

        await IncreaseTimeAsync(Cooldown + TimeSpan.FromSeconds(1));
        await Alice.WithdrawStakeAsync("alpha");
        Assert.Equal(940 * Gpt, await Alice.BalanceOfAsync(Alice.Account));
        await RevertsWithAsync<NothingToWithdrawError>(() => Alice.WithdrawStakeAsync("alpha"));
        var over = await RevertsWithAsync<InsufficientStakeError>(() => Alice.RequestUnstakeAsync("alpha", 61 * Gpt));
        Assert.Equal(60 * Gpt, over.Available);
    }

    [Fact]
    public async Task VoteWithoutStake_Reverts()
    {
        await RevertsWithAsync<NoStakeError>(() => Carol.VoteAsync("alpha", VoteDirection.Up));
        await Carol.StakeAsync("beta", Gpt);
        await RevertsWithAsync<NoStakeError>(() => Carol.VoteAsync("alpha", VoteDirection.Up));
    }

    [Fact]
    public async Task VotingTwice_Reverts_ChangingTheVote_MovesItsWeight()
    {
        await Alice.StakeAsync("alpha", 100 * Gpt);
        await Bob.StakeAsync("alpha", 30 * Gpt);
        await Alice.VoteAsync("alpha", VoteDirection.Up);
        await Bob.VoteAsync("alpha", VoteDirection.Down);
        Assert.Equal((100 * Gpt, 30 * Gpt), (await Alice.UpWeightAsync("alpha"), await Alice.DownWeightAsync("alpha")));

        await RevertsWithAsync<VoteUnchangedError>(() => Alice.VoteAsync("alpha", VoteDirection.Up));
        await Alice.VoteAsync("alpha", VoteDirection.Down);
        Assert.Equal((BigInteger.Zero, 130 * Gpt), (await Alice.UpWeightAsync("alpha"), await Alice.DownWeightAsync("alpha")));
    }

    [Fact]
    public async Task Unstake_LowersTheLiveVote_SoNoTokenCountsTwice()
    {
        await Alice.StakeAsync("alpha", 100 * Gpt);
        await Alice.VoteAsync("alpha", VoteDirection.Up);
        await Alice.RequestUnstakeAsync("alpha", 70 * Gpt);
        Assert.Equal(30 * Gpt, await Alice.UpWeightAsync("alpha"));
        Assert.Equal(30 * Gpt, (await Alice.VoteOfAsync("alpha", Alice.Account)).Weight);

        // The tokens withdrawn and staked again elsewhere count there, and no longer here.
        await IncreaseTimeAsync(Cooldown + TimeSpan.FromSeconds(1));
        await Alice.WithdrawStakeAsync("alpha");
        await Alice.StakeAsync("beta", 70 * Gpt);
        await Alice.VoteAsync("beta", VoteDirection.Up);
        Assert.Equal((30 * Gpt, 70 * Gpt), (await Alice.UpWeightAsync("alpha"), await Alice.UpWeightAsync("beta")));
    }

    [Fact]
    public async Task TokensStakedInTheSameBlockAsAVote_DoNotCountForIt()
    {
        await Alice.StakeAsync("alpha", 10 * Gpt);
        // Approve in advance; then stake a large amount and vote within one block.
        await Alice.Web3.Eth.GetContractTransactionHandler<ApproveFunction>().SendRequestAndWaitForReceiptAsync(
            Alice.Deployment.Token, new ApproveFunction { Spender = Alice.Deployment.Staking, Value = 900 * Gpt });
        await RpcAsync("evm_setAutomine", false);
        try
        {
            var stake = await Alice.Web3.Eth.GetContractTransactionHandler<StakeFunction>().SendRequestAsync(
                Alice.Deployment.Staking, new StakeFunction { Module = ModuleId.Of("alpha"), Amount = 900 * Gpt, Gas = 300_000 });
            var vote = await Alice.Web3.Eth.GetContractTransactionHandler<VoteFunction>().SendRequestAsync(
                Alice.Deployment.Staking, new VoteFunction { Module = ModuleId.Of("alpha"), Direction = (byte)VoteDirection.Up, Gas = 300_000 });
            await RpcAsync("evm_mine");
            var stakeReceipt = await Alice.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(stake);
            var voteReceipt = await Alice.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(vote);
            Assert.Equal(stakeReceipt.BlockNumber.Value, voteReceipt.BlockNumber.Value);
            Assert.Equal(1, (int)voteReceipt.Status.Value);
        }
        finally
        {
            await RpcAsync("evm_setAutomine", true);
        }

        Assert.Equal(10 * Gpt, await Alice.UpWeightAsync("alpha"));
        Assert.Equal(910 * Gpt, await Alice.TotalStakeAsync("alpha"));

        // In a later block the whole stake counts, once the vote is refreshed.
        await Alice.VoteAsync("alpha", VoteDirection.Up);
        Assert.Equal(910 * Gpt, await Alice.UpWeightAsync("alpha"));
    }

    [Fact]
    public async Task TotalsInvariant_HoldsAfterARandomSequenceOfOperations()
    {
        var random = new Random(20261125);
        var stakers = new[] { Alice, Bob, Carol };
        string[] modules = ["alpha", "beta"];
        for (var step = 0; step < 40; step++)
        {
            var who = stakers[random.Next(stakers.Length)];
            var module = modules[random.Next(modules.Length)];
            try
            {
                switch (random.Next(5))
                {
                    case 0 or 1:
                        await who.StakeAsync(module, random.Next(1, 50) * Gpt);
                        break;
                    case 2:
                        await who.RequestUnstakeAsync(module, random.Next(1, 30) * Gpt);
                        break;
                    case 3:
                        await who.VoteAsync(module, random.Next(2) == 0 ? VoteDirection.Up : VoteDirection.Down);
                        break;
                    default:
                        await IncreaseTimeAsync(Cooldown / 2);
                        await who.WithdrawStakeAsync(module);
                        break;
                }
            }
            catch (Nethereum.Contracts.SmartContractCustomErrorRevertException)
            {
                // Refused operations (unstaking more than staked, say) are part of the sequence.
            }

            await AssertTotalsAsync(stakers, modules);
        }
    }

    private async Task AssertTotalsAsync(RegistryContracts[] stakers, string[] modules)
    {
        BigInteger held = 0;
        foreach (var module in modules)
        {
            BigInteger staked = 0, up = 0, down = 0;
            foreach (var who in stakers)
            {
                var position = await who.PositionAsync(module, who.Account);
                staked += position.Counting + position.NotYetCounting;
                held += position.Counting + position.NotYetCounting + position.Unstaking;
                var vote = await who.VoteOfAsync(module, who.Account);
                Assert.True(vote.Weight <= position.Counting, $"a vote of {vote.Weight} outweighs the {position.Counting} stake behind it");
                if (vote.Direction == (byte)VoteDirection.Up)
                {
                    up += vote.Weight;
                }
                else if (vote.Direction == (byte)VoteDirection.Down)
                {
                    down += vote.Weight;
                }
            }

            Assert.Equal(staked, await Deployer.TotalStakeAsync(module));
            Assert.Equal((up, down), (await Deployer.UpWeightAsync(module), await Deployer.DownWeightAsync(module)));
        }

        Assert.Equal(held, await Deployer.TotalHeldAsync());
        Assert.Equal(held, await Deployer.BalanceOfAsync(Deployer.Deployment.Staking));
    }
}
