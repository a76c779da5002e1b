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

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("open", WhoAmI);
        _tree.AddCSharp("signed", WhoAmI, """, "access": { "mode": "signed" }""");
        _tree.AddCSharp("allowed", WhoAmI, $$""", "access": { "mode": "allow", "allow": ["{{_alice.Address}}"] }""");
        _tree.AddCSharp("staked", WhoAmI, """, "access": { "mode": "stake", "min_stake": "1000" }""");
        _tree.AddCSharp("limited", WhoAmI, """, "limits": { "rate_per_caller": 2 }""");
        _host = await TestHost.StartAsync(_tree);
        _channel = GrpcChannel.ForAddress(_host.Address.Replace("grpc://", "http://", StringComparison.Ordinal));
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

        Assert.Equal(StatusCode.Unauthenticated, (await CallRawAsync(request)).Code);
        await AssertStillServesAsync();
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
        Assert.Matches(@"timestamp is 30\d(\.\d)? s old", error.Message);
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

    private static CallRequest Signed(string module, CallSigner key)
    {
        var request = CallMapper.ToMessage(new ModuleCall(module, "forward", [Value.From("hi")], new Dictionary<string, Value>()));
        CallSignature.Sign(request, key, DateTimeOffset.UtcNow);
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

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
