using Modulus.Registry.Contracts;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace Modulus.Registry.Tests;

[Collection("anvil")]
public sealed class RegistryContractTests(AnvilFixture anvil) : ChainTest(anvil)
{
    private static readonly byte[] Hash = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public async Task ClaimThenPublish_RecordsOwnerVersionAndEvents()
    {
        var (_, claim) = await Alice.ClaimNameAsync("text.tokenize");
        Assert.Equal(Alice.Account, await Alice.OwnerOfAsync("text.tokenize"), ignoreCase: true);
        var claimed = claim.DecodeAllEvents<NameClaimedEvent>().Single().Event;
        Assert.Equal("text.tokenize", claimed.Name);

        var publish = await Alice.PublishAsync("text.tokenize", "1.0.0", Hash, "sha256:0102");
        var published = publish.DecodeAllEvents<VersionPublishedEvent>().Single().Event;
        Assert.Equal(("1.0.0", "sha256:0102"), (published.Version, published.PackageUri));
        var version = await Bob.GetVersionAsync("text.tokenize", "1.0.0");
        Assert.Equal(Hash, version.ContentHash);
        Assert.False(version.Deprecated);
        Assert.Equal(["1.0.0"], await Bob.VersionsAsync("text.tokenize"));
    }

    [Fact]
    public async Task SecondClaimOfATakenName_Reverts()
    {
        await Alice.ClaimNameAsync("taken");
        var error = await RevertsWithAsync<NameTakenError>(() => Bob.ClaimNameAsync("taken"));
        Assert.Equal("taken", error.Name);
    }

    [Fact]
    public async Task RevealWithoutOwnCommitment_Reverts_SoACopiedRevealCannotStealTheName()
    {
        // Bob copies the reveal (name and salt) Alice would send; her commitment binds her address.
        var salt = new byte[32];
        var commitment = await Alice.Web3.Eth.GetContractQueryHandler<CommitmentOfFunction>()
            .QueryAsync<byte[]>(Alice.Deployment.Registry, new CommitmentOfFunction { Name = "prized", Claimant = Alice.Account, Salt = salt });
        await Alice.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>().SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new CommitNameFunction { Commitment = commitment });

        await RevertsWithAsync<NoCommitmentError>(() => Bob.Web3.Eth.GetContractTransactionHandler<ClaimNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Bob.Deployment.Registry, new ClaimNameFunction { Name = "prized", Salt = salt }));
        await Alice.Web3.Eth.GetContractTransactionHandler<ClaimNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new ClaimNameFunction { Name = "prized", Salt = salt });
        Assert.Equal(Alice.Account, await Bob.OwnerOfAsync("prized"), ignoreCase: true);
    }

    [Fact]
    public async Task Reveal_FrontRunByAResentCommitmentAndARivalCommit_StillClaimsTheName()
    {
        // Alice committed a block ago and now reveals. Bob sees the reveal in the mempool, learns the
        // name, and gets two transactions mined before it in the same block: Alice's commitment hash
        // re-sent (which, were commitments keyed by hash alone, would restart it and make her reveal
        // too new) and a commitment of his own for the name, to claim it in the next block.
        const string name = "coveted";
        var aliceSalt = Enumerable.Repeat((byte)0xa1, 32).ToArray();
        var bobSalt = Enumerable.Repeat((byte)0xb0, 32).ToArray();
        var aliceCommitment = await CommitmentOfAsync(name, Alice.Account, aliceSalt);
        var bobCommitment = await CommitmentOfAsync(name, Bob.Account, bobSalt);
        var commit = await Alice.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new CommitNameFunction { Commitment = aliceCommitment });

        var gasPrice = (await Alice.Web3.Eth.GasPrice.SendRequestAsync()).Value;
        var bobNonce = (await Bob.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Bob.Account)).Value;
        string revealHash, resendHash, rivalHash;
        await RpcAsync("evm_setAutomine", false);
        try
        {
            // Gas and nonces are set by hand: nothing is mined until evm_mine, so neither an estimate
            // nor the node's transaction count would see the block these transactions share.
            revealHash = await Alice.Web3.Eth.GetContractTransactionHandler<ClaimNameFunction>().SendRequestAsync(Alice.Deployment.Registry,
                new ClaimNameFunction { Name = name, Salt = aliceSalt, Gas = 300_000, GasPrice = gasPrice * 2 });
            resendHash = await Bob.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>().SendRequestAsync(Bob.Deployment.Registry,
                new CommitNameFunction { Commitment = aliceCommitment, Gas = 100_000, GasPrice = gasPrice * 50, Nonce = bobNonce });
            rivalHash = await Bob.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>().SendRequestAsync(Bob.Deployment.Registry,
                new CommitNameFunction { Commitment = bobCommitment, Gas = 100_000, GasPrice = gasPrice * 40, Nonce = bobNonce + 1 });
            await RpcAsync("evm_mine");
        }
        finally
        {
            await RpcAsync("evm_setAutomine", true);
        }

        var reveal = await ReceiptAsync(revealHash);
        var resend = await ReceiptAsync(resendHash);
        var rival = await ReceiptAsync(rivalHash);
        // The attack really ran: all three in one block, Bob's two first (higher fees), both mined.
        Assert.Equal(commit.BlockNumber.Value + 1, reveal.BlockNumber.Value);
        Assert.Equal((reveal.BlockNumber.Value, reveal.BlockNumber.Value), (resend.BlockNumber.Value, rival.BlockNumber.Value));
        Assert.True(resend.TransactionIndex.Value < reveal.TransactionIndex.Value && rival.TransactionIndex.Value < reveal.TransactionIndex.Value,
            $"Bob's transactions were not mined before the reveal: {resend.TransactionIndex.Value}, {rival.TransactionIndex.Value} vs {reveal.TransactionIndex.Value}");
        Assert.Equal((1, 1), ((int)resend.Status.Value, (int)rival.Status.Value));
        Assert.True(reveal.Status.Value == 1, "Alice's reveal reverted: the re-sent commitment blocked her claim");
        Assert.Equal(Alice.Account, await Bob.OwnerOfAsync(name), ignoreCase: true);
        Assert.Equal(name, reveal.DecodeAllEvents<NameClaimedEvent>().Single().Event.Name);
        // Bob's copy of Alice's hash was recorded under Bob, and hers was used up by her claim.
        Assert.Equal(reveal.BlockNumber.Value, (await CommitmentAsync(Bob.Account, aliceCommitment)).BlockNumber);
        Assert.Equal(0UL, (await CommitmentAsync(Alice.Account, aliceCommitment)).BlockNumber);

        // A block later, Bob's own commitment is old enough but the name is hers; Alice's salt is no use to him.
        Assert.Equal(name, (await RevertsWithAsync<NameTakenError>(() => Bob.Web3.Eth.GetContractTransactionHandler<ClaimNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Bob.Deployment.Registry, new ClaimNameFunction { Name = name, Salt = bobSalt }))).Name);
        await RevertsWithAsync<NoCommitmentError>(() => Bob.Web3.Eth.GetContractTransactionHandler<ClaimNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Bob.Deployment.Registry, new ClaimNameFunction { Name = name, Salt = aliceSalt }));
        Assert.Equal(Alice.Account, await Bob.OwnerOfAsync(name), ignoreCase: true);
    }

    [Fact]
    public async Task Commit_SameHashFromAnotherAccount_LeavesTheFirstCommitmentAsItWas()
    {
        var salt = Enumerable.Repeat((byte)0x5a, 32).ToArray();
        var commitment = await CommitmentOfAsync("kept", Alice.Account, salt);
        var first = await Alice.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new CommitNameFunction { Commitment = commitment });
        await RpcAsync("evm_mine");

        var copy = await Bob.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Bob.Deployment.Registry, new CommitNameFunction { Commitment = commitment });

        Assert.True(copy.BlockNumber.Value > first.BlockNumber.Value + 1);
        Assert.Equal((ulong)first.BlockNumber.Value, (await CommitmentAsync(Alice.Account, commitment)).BlockNumber);
        Assert.Equal((ulong)copy.BlockNumber.Value, (await CommitmentAsync(Bob.Account, commitment)).BlockNumber);
        var committed = copy.DecodeAllEvents<NameCommittedEvent>().Single().Event;
        Assert.Equal(Bob.Account, committed.Committer, ignoreCase: true);
    }

    [Theory]
    [InlineData("Upper.Case")]
    [InlineData("double..dot")]
    [InlineData(".leading")]
    [InlineData("space name")]
    public async Task ClaimOfAnInvalidName_Reverts(string name)
    {
        Assert.Equal(name, (await RevertsWithAsync<InvalidNameError>(() => Alice.ClaimNameAsync(name))).Name);
    }

    [Fact]
    public async Task PublishByANonOwner_Reverts_AndOfAnUnknownName()
    {
        await Alice.ClaimNameAsync("mine");
        var error = await RevertsWithAsync<NotOwnerError>(() => Bob.PublishAsync("mine", "1.0.0", Hash, "uri"));
        Assert.Equal(Alice.Account, error.Owner, ignoreCase: true);
        await RevertsWithAsync<UnknownNameError>(() => Bob.PublishAsync("nobody", "1.0.0", Hash, "uri"));
    }

    [Fact]
    public async Task RepublishingAVersion_Reverts_AVersionIsImmutable()
    {
        await Alice.ClaimNameAsync("fixed");
        await Alice.PublishAsync("fixed", "1.0.0", Hash, "uri-1");
        var error = await RevertsWithAsync<VersionExistsError>(() => Alice.PublishAsync("fixed", "1.0.0", new byte[32].Select(_ => (byte)9).ToArray(), "uri-2"));
        Assert.Equal("1.0.0", error.Version);
        Assert.Equal("uri-1", (await Alice.GetVersionAsync("fixed", "1.0.0")).PackageUri);
        await RevertsWithAsync<EmptyContentHashError>(() => Alice.PublishAsync("fixed", "2.0.0", new byte[32], "uri"));
    }

    [Fact]
    public async Task Transfer_MovesTheRightToPublish()
    {
        await Alice.ClaimNameAsync("moving");
        await Alice.TransferNameAsync("moving", Bob.Account);
        await Bob.PublishAsync("moving", "1.0.0", Hash, "uri");
        await RevertsWithAsync<NotOwnerError>(() => Alice.PublishAsync("moving", "2.0.0", Hash, "uri"));
        await RevertsWithAsync<NotOwnerError>(() => Alice.TransferNameAsync("moving", Alice.Account));
    }

    [Fact]
    public async Task Deprecate_MarksTheVersion_OnlyTheOwnerMay()
    {
        await Alice.ClaimNameAsync("old");
        await Alice.PublishAsync("old", "1.0.0", Hash, "uri");
        await RevertsWithAsync<NotOwnerError>(() => Bob.DeprecateAsync("old", "1.0.0", "mine now"));
        await Alice.DeprecateAsync("old", "1.0.0", "use 2.0.0");
        Assert.True((await Bob.GetVersionAsync("old", "1.0.0")).Deprecated);
        await RevertsWithAsync<UnknownVersionError>(() => Alice.DeprecateAsync("old", "9.9.9", "never was"));
    }

    [Fact]
    public async Task Hosts_AnnounceAndWithdraw_PublishedVersionsOnly()
    {
        await Alice.ClaimNameAsync("served");
        await Alice.PublishAsync("served", "1.0.0", Hash, "uri");
        var receipt = await Bob.AnnounceAsync("served", "1.0.0", "grpc://127.0.0.1:7050");
        Assert.Equal("grpc://127.0.0.1:7050", receipt.DecodeAllEvents<HostAnnouncedEvent>().Single().Event.Endpoint);
        Assert.Equal("grpc://127.0.0.1:7050", await Alice.HostEndpointAsync("served", "1.0.0", Bob.Account));

        await Bob.WithdrawHostAsync("served", "1.0.0");
        Assert.Equal(string.Empty, await Alice.HostEndpointAsync("served", "1.0.0", Bob.Account));
        await RevertsWithAsync<NotAnnouncedError>(() => Bob.WithdrawHostAsync("served", "1.0.0"));
        await RevertsWithAsync<UnknownVersionError>(() => Bob.AnnounceAsync("served", "2.0.0", "grpc://127.0.0.1:7050"));
    }

    [Fact]
    public async Task RevealInTheCommitBlock_Reverts_CommitmentTooNew()
    {
        var salt = new byte[32];
        salt[0] = 7;
        var commitment = await Alice.Web3.Eth.GetContractQueryHandler<CommitmentOfFunction>()
            .QueryAsync<byte[]>(Alice.Deployment.Registry, new CommitmentOfFunction { Name = "early", Claimant = Alice.Account, Salt = salt });
        var commit = await Alice.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new CommitNameFunction { Commitment = commitment });

        // Executed as if in the commit's own block: the reveal must wait one block.
        var error = await RevertsWithAsync<CommitmentTooNewError>(() => Alice.Web3.Eth.GetContractQueryHandler<ClaimNameFunction>()
            .QueryAsync<bool>(Alice.Deployment.Registry, new ClaimNameFunction { Name = "early", Salt = salt, FromAddress = Alice.Account }, new BlockParameter(commit.BlockNumber)));
        Assert.Equal(commit.BlockNumber.Value, error.CommittedAt);
        Assert.Equal(commit.BlockNumber.Value + 1, error.RevealableAt);
    }

    [Fact]
    public async Task RevealAfterTheCommitmentExpired_Reverts()
    {
        var salt = new byte[32];
        salt[0] = 9;
        var commitment = await Alice.Web3.Eth.GetContractQueryHandler<CommitmentOfFunction>()
            .QueryAsync<byte[]>(Alice.Deployment.Registry, new CommitmentOfFunction { Name = "late", Claimant = Alice.Account, Salt = salt });
        var commit = await Alice.Web3.Eth.GetContractTransactionHandler<CommitNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new CommitNameFunction { Commitment = commitment });
        await IncreaseTimeAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1)); // past MAX_COMMIT_AGE

        var error = await RevertsWithAsync<CommitmentExpiredError>(() => Alice.Web3.Eth.GetContractTransactionHandler<ClaimNameFunction>()
            .SendRequestAndWaitForReceiptAsync(Alice.Deployment.Registry, new ClaimNameFunction { Name = "late", Salt = salt }));
        var committedAt = (await Alice.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(commit.BlockNumber)).Timestamp.Value;
        Assert.Equal((committedAt, committedAt + 86_400), (error.CommittedAt, error.ExpiredAt));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0 beta")]
    public async Task PublishOfANonSemverVersion_Reverts(string version)
    {
        await Alice.ClaimNameAsync("versioned");
        Assert.Equal(version, (await RevertsWithAsync<InvalidVersionError>(() => Alice.PublishAsync("versioned", version, Hash, "uri"))).Version);
        await Alice.PublishAsync("versioned", "1.0.0-rc.1+build.5", Hash, "uri");
    }

    [Fact]
    public async Task AnnounceOfAnEmptyEndpoint_AndTransferToNobody_Revert()
    {
        await Alice.ClaimNameAsync("edges");
        await Alice.PublishAsync("edges", "1.0.0", Hash, "uri");
        await RevertsWithAsync<EmptyEndpointError>(() => Bob.AnnounceAsync("edges", "1.0.0", ""));
        await RevertsWithAsync<ZeroAddressError>(() => Alice.TransferNameAsync("edges", "0x0000000000000000000000000000000000000000"));
        Assert.Equal(Alice.Account, await Bob.OwnerOfAsync("edges"), ignoreCase: true);
    }

    private Task<byte[]> CommitmentOfAsync(string name, string claimant, byte[] salt) =>
        Alice.Web3.Eth.GetContractQueryHandler<CommitmentOfFunction>()
            .QueryAsync<byte[]>(Alice.Deployment.Registry, new CommitmentOfFunction { Name = name, Claimant = claimant, Salt = salt });

    private Task<CommitmentOutput> CommitmentAsync(string committer, byte[] commitment) =>
        Alice.Web3.Eth.GetContractQueryHandler<CommitmentsFunction>()
            .QueryDeserializingToObjectAsync<CommitmentOutput>(new CommitmentsFunction { Committer = committer, Commitment = commitment }, Alice.Deployment.Registry);

    private async Task<TransactionReceipt> ReceiptAsync(string transactionHash) =>
        await Alice.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(transactionHash)
        ?? throw new InvalidOperationException($"transaction {transactionHash} was not mined");

    [Fact]
    public async Task OnlyTheMinterMints()
    {
        await Deployer.MintAsync(Alice.Account, 5 * Gpt);
        Assert.Equal(5 * Gpt, await Alice.BalanceOfAsync(Alice.Account));
        var error = await RevertsWithAsync<AccessControlUnauthorizedAccountError>(() => Alice.MintAsync(Alice.Account, Gpt));
        Assert.Equal(Alice.Account, error.Account, ignoreCase: true);
    }
}
