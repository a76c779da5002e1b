using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.FunctionalTests;

/// <summary>The same calls over gRPC, TCP and UDP give the same results and the same errors.</summary>
public sealed class TransportParityTests(ShippedModulesFixture fixture) : IClassFixture<ShippedModulesFixture>
{
    public static TheoryData<string> Schemes => new() { "grpc", "tcp", "udp" };

    private async Task<ModulusClient> ConnectAsync(string scheme)
    {
        await Task.Yield();
        return ModulusClient.Connect(fixture.Host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task Calls_GiveTheSameResultsOnEveryTransport(string scheme)
    {
        using var noErrors = fixture.Host.VerifyNoErrors();
        await using var client = await ConnectAsync(scheme);
        var value = Value.Map([new("s", "héllo"), new("t", Tensor.FromArray(new float[] { 1, 2, 3 })), new("b", Value.FromBytes(new byte[] { 9 })), new("n", Value.Null)]);

        Assert.Equal([31373L, 995L], (await client.CallAsync("text.tokenize", "hello world")).AsList().Select(v => v.AsInt()));
        Assert.Equal(value, await client.CallAsync("util.echo", value));
        Assert.Equal(value, await client.CallAsync("util.pyecho", value));
        Assert.Equal(7, (await client.CallAsync("text.stats", "one two three. four five six seven!")).AsMap()["words"].AsInt());
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task Errors_CarryTheSameCodeAndMessageOnEveryTransport(string scheme)
    {
        await using var client = await ConnectAsync(scheme);
        await using var reference = ModulusClient.Connect(fixture.Host.Address);

        foreach (var (target, args) in new (string, Value[])[] { ("nope", []), ("text.tokenize/nope", ["x"]), ("text.tokenize", [42]), ("text.stats", ["x", -1]) })
        {
            var expected = await Assert.ThrowsAsync<ModulusException>(() => reference.CallAsync(target, args));
            var actual = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(target, args));
            Assert.Equal((expected.Code, expected.Message), (actual.Code, actual.Message));
        }
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task ListAndInfo_AreTheSameOnEveryTransport(string scheme)
    {
        await using var client = await ConnectAsync(scheme);
        var listing = await client.ListAsync();
        Assert.Equal(Directory.EnumerateFiles(Modulus.Testing.RepositoryPaths.Modules, "module.json", SearchOption.AllDirectories).Count(), listing.Modules.Count);
        var info = await client.InfoAsync("text.tokenize");
        Assert.Equal("forward(text: string) -> list[int]", info.Endpoints[0].Signature);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<ModulusException>(() => client.InfoAsync("nope"))).Code);
    }

    [Fact]
    public async Task Tcp_ManyCallsInFlightOnOneConnection_AreEachAnsweredByTheirOwnResult()
    {
        await using var client = await ConnectAsync("tcp");
        var calls = Enumerable.Range(0, 500).Select(i => client.CallAsync("util.echo", (long)i)).ToArray();
        var results = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), results.Select(r => r.AsInt()));
    }

    [Fact]
    public async Task Tcp_TensorsOfSeveralMegabytes_PipelinedOnOneConnection_ComeBackByteForByte()
    {
        // Larger than the client's 1 MB write segments and the read buffers, and several at once,
        // so frames span segments in both directions and interleave on the connection.
        await using var client = await ConnectAsync("tcp");
        var tensors = Enumerable.Range(1, 4).Select(n => Tensor.FromArray(Enumerable.Range(0, n * 300_000).Select(i => (float)(i % 1000) + n).ToArray())).ToArray();
        var results = await Task.WhenAll(tensors.Select(t => client.CallAsync("util.echo", t)));
        for (var i = 0; i < tensors.Length; i++)
        {
            Assert.Equal(tensors[i].Shape, results[i].AsTensor().Shape);
            Assert.True(tensors[i].Data.Span.SequenceEqual(results[i].AsTensor().Data.Span), $"tensor {i} came back changed");
        }
    }

    [Fact]
    public async Task Udp_ResultOverTheDatagramLimit_IsAnErrorNamingTcpAndGrpc()
    {
        await using var udp = await ConnectAsync("udp");
        var big = Tensor.FromArray(new float[20_000]);
        var request = await Assert.ThrowsAsync<ModulusException>(() => udp.CallAsync("util.echo", big));
        Assert.Equal(StatusCode.ResourceExhausted, request.Code);
        Assert.Contains("request", request.Message);
        Assert.Contains("tcp://", request.Message);

        // 32 KB of emoji become some 16,000 byte-level tokens: a result well over a datagram.
        var text = string.Concat(Enumerable.Repeat("😀🙃", 4000));
        var result = await Assert.ThrowsAsync<ModulusException>(() => udp.CallAsync("text.tokenize", text));
        Assert.Equal(StatusCode.ResourceExhausted, result.Code);
        Assert.Contains("result", result.Message);
        Assert.Contains("grpc://", result.Message);

        await using var tcp = await ConnectAsync("tcp");
        Assert.True((await tcp.CallAsync("text.tokenize", text)).AsList().Count > 8000);
    }
}
