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

    [Fact]
    public async Task OnlyTheMinterMints()
    {
        await Deployer.MintAsync(Alice.Account, 5 * Gpt);
        Assert.Equal(5 * Gpt, await Alice.BalanceOfAsync(Alice.Account));
        var error = await RevertsWithAsync<AccessControlUnauthorizedAccountError>(() => Alice.MintAsync(Alice.Account, Gpt));
        Assert.Equal(Alice.Account, error.Account, ignoreCase: true);
    }
}
