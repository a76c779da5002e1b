using Grpc.Net.Client;
using Modulus.Client;
using Modulus.Protocol;
using Modulus.Protocol.Signing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Modulus.Testing;
using Nethereum.Signer;
using StatusCode = Modulus.Sdk.StatusCode;
using Value = Modulus.Sdk.Value;

namespace Modulus.FunctionalTests;

/// <summary>Signed calls, access rules and rate limits, each checked through real sockets.</summary>
public sealed class SignedCallTests : IAsyncLifetime
{
    private const string WhoAmI = "public sealed class W : Module { public string Forward(CallContext context, string text = \"\") => context.Caller ?? \"anonymous\"; }";
    private readonly TempTree _tree = new();
    private readonly CallSigner _alice = CallSigner.Generate();
    private readonly CallSigner _bob = CallSigner.Generate();
    private TestHost _host = null!;
    private GrpcChannel _channel = null!;
    private HostIdentity _identity = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("open", WhoAmI);
        _tree.AddCSharp("signed", WhoAmI, """, "access": { "mode": "signed" }""");
        _tree.AddCSharp("allowed", WhoAmI, $$""", "access": { "mode": "allow", "allow": ["{{_alice.Address}}"] }""");
        _tree.AddCSharp("staked", WhoAmI, """, "access": { "mode": "stake", "min_stake": "1000" }""");
        _tree.AddCSharp("limited", WhoAmI, """, "limits": { "rate_per_caller": 2 }""");
        _host = await TestHost.StartAsync(_tree);
        _channel = GrpcChannel.ForAddress(_host.Address.Replace("grpc://", "http://", StringComparison.Ordinal));
        _identity = await _host.Client.HostAsync();
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    public static TheoryData<string> Schemes => new() { "grpc", "tcp", "udp" };

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task SignedCall_TheModuleSeesTheCallersAddress(string scheme)
    {
        await using var client = Connect(scheme, _alice);
        Assert.Equal(_alice.Address, (await client.CallAsync("signed", "hi")).AsString(), ignoreCase: true);
        await using var anonymous = Connect(scheme, null);
        Assert.Equal("anonymous", (await anonymous.CallAsync("open", "hi")).AsString());
    }

    [Fact]
    public async Task ForgedSignature_IsUnauthenticated()
    {
        var request = Signed("open", _alice);
        var bytes = request.Auth.Signature.ToByteArray();
        bytes[10] ^= 0xff;
        request.Auth.Signature = Google.Protobuf.ByteString.CopyFrom(bytes);

        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        // A changed r is either off the curve or recovers a key nobody holds.
        Assert.Matches("recovers no key|signed by another address: the request claims", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task SignatureByAnotherKey_IsUnauthenticatedNamingBoth()
    {
        var request = Signed("open", _bob);
        request.Auth.Address = _alice.Address;

        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains(_alice.Address, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(_bob.Address, error.Message, StringComparison.OrdinalIgnoreCase);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task ArgumentsChangedAfterSigning_AreUnauthenticated()
    {
        var request = Signed("open", _alice);
        request.Args[0] = ValueMapper.ToMessage("changed");

        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains("the arguments differ from the ones signed (payload hash signed 0x", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task CallSignedForAnotherHost_IsRefusedNamingBothHosts()
    {
        // A second host serving the same module: what was signed for it must not run here, and back.
        using var otherTree = new TempTree();
        otherTree.AddCSharp("open", WhoAmI);
        await using var other = await TestHost.StartAsync(otherTree);
        var otherIdentity = await other.Client.HostAsync();
        Assert.NotEqual(_identity.Address, otherIdentity.Address);

        var request = Signed("open", _alice, otherIdentity);
        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains($"signed for host {otherIdentity.Address}, this host is {_identity.Address}", error.Message);

        await using var atOther = ModulusClient.Connect(other.Addresses.Single(a => a.StartsWith("tcp://", StringComparison.Ordinal)), new ModulusClientOptions { Signer = _alice });
        Assert.Equal(_alice.Address, (await atOther.CallAsync("open", "hi")).AsString(), ignoreCase: true);
        await AssertStillServesAsync();
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task PinnedToAnotherHost_ClientCallsAreRefused(string scheme)
    {
        var pinned = new HostIdentity(_bob.Address, _identity.ChainId);
        await using var client = ModulusClient.Connect(
            _host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)), new ModulusClientOptions { Signer = _alice, Host = pinned });
        var error = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("open", "hi"));
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains($"signed for host {_bob.Address}, this host is {_identity.Address}", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task CallSignedForAnotherChain_IsRefusedNamingBothChains()
    {
        var error = await CallRawAsync(Signed("open", _alice, _identity with { ChainId = 1 }));
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains("signed for chain 1, this host is on 31337", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task HighS_IsRefused()
    {
        var request = Signed("open", _alice);
        request.Auth.Signature = Google.Protobuf.ByteString.CopyFrom(HighS(request.Auth.Signature.ToByteArray()));
        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains("upper half of the curve order", error.Message);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(29)]
    public async Task NonCanonicalV_IsRefused(byte v)
    {
        var request = Signed("open", _alice);
        var bytes = request.Auth.Signature.ToByteArray();
        bytes[64] = v;
        request.Auth.Signature = Google.Protobuf.ByteString.CopyFrom(bytes);
        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains($"v is {v}; it must be 27 or 28", error.Message);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("now - 2^63")]
    [InlineData("min")]
    [InlineData("max")]
    public async Task TimestampFarOutOfRange_IsUnauthenticated_NotAnOverflow(string which)
    {
        // Each of these once overflowed Math.Abs(now - timestamp) into an unhandled exception.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var timestamp = which switch { "min" => long.MinValue, "max" => long.MaxValue, _ => unchecked(now + long.MinValue) };
        var request = CallMapper.ToMessage(new ModuleCall("open", "forward", [Value.From("hi")], new Dictionary<string, Value>()));
        CallSignature.Sign(request, _alice, _identity, timestamp, System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains("timestamp out of range", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task HostHandshake_AnswersOnEveryTransport_WithTheSameProvedIdentity()
    {
        foreach (var scheme in new[] { "grpc", "tcp", "udp" })
        {
            await using var client = Connect(scheme, _alice);
            Assert.Equal(_identity, await client.HostAsync());
        }

        Assert.Equal(31337UL, _identity.ChainId);
    }

    [Fact]
    public async Task ReplayedRequest_IsUnauthenticated()
    {
        var request = Signed("open", _alice);
        var client = new ModuleService.ModuleServiceClient(_channel);
        Assert.Equal(_alice.Address, (await client.CallAsync(request)).Result.StringValue, ignoreCase: true);

        var error = await CallRawAsync(request);
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains("replayed", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task StaleTimestamp_IsUnauthenticatedSayingHowOld()
    {
        await using var client = ModulusClient.Connect(_host.Address, new ModulusClientOptions { Signer = _alice, Clock = new ShiftedClock(TimeSpan.FromMinutes(-5)) });
        var error = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("open", "hi"));
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        // The age is measured when the host checks, so a slow machine adds a fraction of a second.
        Assert.Matches(@"timestamp out of range: the signature's timestamp is 30\d(\.\d)? s old", error.Message);
        Assert.Contains("±30 s", error.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task AccessRules_RefuseWithTheRuleThatRefused()
    {
        await using var anonymous = Connect("tcp", null);
        await using var alice = Connect("tcp", _alice);
        await using var bob = Connect("tcp", _bob);

        var unsigned = await Assert.ThrowsAsync<ModulusException>(() => anonymous.CallAsync("signed", "x"));
        Assert.Equal(StatusCode.PermissionDenied, unsigned.Code);
        Assert.Contains("accepts only signed calls", unsigned.Message);

        Assert.Equal(_alice.Address, (await alice.CallAsync("allowed", "x")).AsString(), ignoreCase: true);
        var stranger = await Assert.ThrowsAsync<ModulusException>(() => bob.CallAsync("allowed", "x"));
        Assert.Equal(StatusCode.PermissionDenied, stranger.Code);
        Assert.Contains("not on allowed's allow list (access.allow)", stranger.Message);

        var stake = await Assert.ThrowsAsync<ModulusException>(() => alice.CallAsync("staked", "x"));
        Assert.Equal(StatusCode.PermissionDenied, stake.Code);
        Assert.Contains("access.min_stake", stake.Message);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task CallerOverItsRate_IsResourceExhausted_OtherCallersAreNot()
    {
        await using var alice = Connect("grpc", _alice);
        await using var bob = Connect("grpc", _bob);
        var outcomes = new List<StatusCode>();
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await alice.CallAsync("limited", "x");
                outcomes.Add(StatusCode.Ok);
            }
            catch (ModulusException ex)
            {
                outcomes.Add(ex.Code);
                Assert.Contains("limits.rate_per_caller", ex.Message);
            }
        }

        Assert.Contains(StatusCode.Ok, outcomes);
        Assert.Contains(StatusCode.ResourceExhausted, outcomes);
        Assert.Equal(_bob.Address, (await bob.CallAsync("limited", "x")).AsString(), ignoreCase: true);
    }

    private ModulusClient Connect(string scheme, CallSigner? key) =>
        ModulusClient.Connect(_host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)), new ModulusClientOptions { Signer = key });

    private CallRequest Signed(string module, CallSigner key, HostIdentity? host = null)
    {
        var request = CallMapper.ToMessage(new ModuleCall(module, "forward", [Value.From("hi")], new Dictionary<string, Value>()));
        CallSignature.Sign(request, key, host ?? _identity, DateTimeOffset.UtcNow);
        return request;
    }

    private async Task<ModulusException> CallRawAsync(CallRequest request)
    {
        var ex = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await new ModuleService.ModuleServiceClient(_channel).CallAsync(request));
        return new ModulusException((StatusCode)(int)ex.StatusCode, ex.Status.Detail);
    }

    private async Task AssertStillServesAsync()
    {
        await using var client = Connect("tcp", _alice);
        Assert.Equal(_alice.Address, (await client.CallAsync("open", "still")).AsString(), ignoreCase: true);
    }

    /// <summary>The same signature with s replaced by n - s and v flipped: it still verifies on the curve, but is not canonical.</summary>
    private static byte[] HighS(byte[] signature)
    {
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        var s = n - new System.Numerics.BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var flipped = (byte[])signature.Clone();
        Array.Clear(flipped, 32, 32);
        s.ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(flipped.AsSpan(64 - s.GetByteCount(isUnsigned: true)));
        flipped[64] = (byte)(signature[64] == 27 ? 28 : 27);
        return flipped;
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
