using Modulus.Client;
using Modulus.Protocol;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>Limits that must hold against a caller who sends what no honest client would.</summary>
public sealed class LimitTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }");
        _tree.AddCSharp("limited", "public sealed class Limited : Module { public Value Forward(Value v) => v; }", """, "limits": { "rate_per_caller": 2 }""");
        _host = await TestHost.StartAsync(_tree);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("tcp")]
    public async Task FreshKeyPerCall_DoesNotGetAroundTheRate_ItsAddressIsCounted(string scheme)
    {
        var address = _host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal));
        var clients = Enumerable.Range(0, 30).Select(_ => ModulusClient.Connect(address, new ModulusClientOptions { Signer = Modulus.Protocol.Signing.CallSigner.Generate() })).ToArray();
        var outcomes = await Task.WhenAll(clients.Select(async client =>
        {
            try
            {
                await client.CallAsync("limited", "x");
                return StatusCode.Ok;
            }
            catch (ModulusException ex) when (ex.Code == StatusCode.ResourceExhausted)
            {
                Assert.Contains("signed callers from one address", ex.Message, StringComparison.Ordinal);
                return ex.Code;
            }
        }));
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        // 30 keys at once: the address's bucket (a burst of 4 × 2 calls, refilled 8 a second) runs dry.
        Assert.InRange(outcomes.Count(o => o == StatusCode.Ok), 8, 20);
        Assert.Contains(StatusCode.ResourceExhausted, outcomes);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("tcp")]
    public async Task HugeKeywordName_IsNotReflectedWhole(string scheme)
    {
        await using var client = ModulusClient.Connect(_host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)));
        var name = new string('k', 8 * 1024 * 1024);
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("echo", [Value.From(1)], new Dictionary<string, Value> { [name] = Value.From(1) }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.InRange(ex.Message.Length, 1, CallMapper.MaxErrorMessageChars + 100);
        Assert.Contains("characters cut", ex.Message, StringComparison.Ordinal);
        Assert.Equal("after", (await client.CallAsync("echo", "after")).AsString());

        var info = await Assert.ThrowsAsync<ModulusException>(() => client.InfoAsync(new string('m', 1024 * 1024)));
        Assert.Equal(StatusCode.NotFound, info.Code);
        Assert.InRange(info.Message.Length, 1, CallMapper.MaxErrorMessageChars + 100);
    }
}
