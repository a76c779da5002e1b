using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Modulus.Client;
using Modulus.Protocol;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Modulus.Testing;
using Value = Modulus.Sdk.Value;

namespace Modulus.FunctionalTests;

/// <summary>
/// UDP as a reflector and a replay cache as a target, through real datagrams: no answer is more than
/// three times its request, the cache answers only the content that was asked, and it is bounded in bytes.
/// </summary>
public sealed class UdpAmplificationTests : IAsyncLifetime
{
    private const string Counter = """
        using System.Collections.Concurrent;

        public sealed class Counter : Module
        {
            private static readonly ConcurrentDictionary<string, int> Runs = new();

            public string Forward(string key, int pad = 0)
            {
                Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
                return key + new string('.', pad);
            }

            [Endpoint]
            public int Runs_(string key) => Runs.TryGetValue(key, out var n) ? n : 0;
        }
        """;

    private readonly TempTree _tree = new();
    private TestHost _host = null!;
    private IPEndPoint _udp = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("counter", Counter);
        _host = await TestHost.StartAsync(_tree, configure: o => o.UdpReplayCacheBytes = 256 * 1024);
        var uri = new Uri(_host.Addresses.Single(a => a.StartsWith("udp://", StringComparison.Ordinal)));
        _udp = new IPEndPoint(IPAddress.Loopback, uri.Port);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task SmallRequest_WithALargeAnswer_GetsAtMostThreeTimesItsBytes_AndAPaddedCopyGetsTheAnswer()
    {
        using var socket = Bound();
        // A bare list request: 4 bytes whose answer is over 2 KB.
        var bare = new Envelope { Id = 77, ListRequest = new ListModulesRequest() }.ToByteArray();
        await socket.SendToAsync(bare, _udp);
        Assert.Empty(await ReceiveAllAsync(socket, TimeSpan.FromMilliseconds(500)));

        // A 100-byte call whose answer is 2 KB: the host asks for padding, in at most 300 bytes.
        var hundred = Call(78, "wide", pad: 2000, padTo: 100);
        Assert.Equal(100, hundred.Length);
        await socket.SendToAsync(hundred, _udp);
        var padRequest = Assert.Single(await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2)));
        Assert.InRange(padRequest.Length, 1, 3 * hundred.Length);
        var asked = Envelope.Parser.ParseFrom(padRequest);
        Assert.Equal((int)StatusCode.FailedPrecondition, asked.Error.Code);
        Assert.Contains($"pad it to {asked.PadTo} bytes or use tcp://", asked.Error.Message, StringComparison.Ordinal);

        // The same request padded as asked gets the answer, at most three times its size, from the one run.
        var padded = Call(78, "wide", pad: 2000, padTo: (int)asked.PadTo);
        await socket.SendToAsync(padded, _udp);
        var answer = Assert.Single(await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2)));
        Assert.InRange(answer.Length, 1, 3 * padded.Length);
        Assert.StartsWith("wide...", ResultOf(answer), StringComparison.Ordinal);
        Assert.Equal(1, (await _host.Client.CallAsync("counter/runs_", "wide")).AsInt());
    }

    [Fact]
    public async Task ReusedId_WithOtherContent_RunsAsANewCall_AndARetransmissionRunsOnce()
    {
        using var socket = Bound();
        var planted = Call(9, "planted");
        var real = Call(9, "real");
        await socket.SendToAsync(planted, _udp);
        Assert.Equal("planted", ResultOf(Assert.Single(await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2)))));

        // Same source, same id, other content: the real request's own answer, not the planted one.
        await socket.SendToAsync(real, _udp);
        await socket.SendToAsync(real, _udp);
        var answers = await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2));
        Assert.Equal(2, answers.Count);
        Assert.All(answers, a => Assert.Equal("real", ResultOf(a)));
        Assert.Equal(1, (await _host.Client.CallAsync("counter/runs_", "real")).AsInt());
        Assert.Equal(1, (await _host.Client.CallAsync("counter/runs_", "planted")).AsInt());
    }

    [Fact]
    public async Task ReplayCache_IsBoundedInBytes_TheOldestAnswerGoesFirst()
    {
        using var socket = Bound();
        var first = Call(1, "first");
        await socket.SendToAsync(first, _udp);
        Assert.Single(await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2)));

        // 300 answers of 1 KB overflow the 256 KiB cache.
        for (var i = 0; i < 300; i++)
        {
            await socket.SendToAsync(Call((ulong)(1000 + i), $"filler-{i}", pad: 1000, padTo: 1200), _udp);
            Assert.Single(await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2), stopAfter: 1));
        }

        await socket.SendToAsync(first, _udp);
        Assert.Equal("first", ResultOf(Assert.Single(await ReceiveAllAsync(socket, TimeSpan.FromSeconds(2)))));
        Assert.Equal(2, (await _host.Client.CallAsync("counter/runs_", "first")).AsInt());
    }

    [Fact]
    public async Task Client_PadsItsRequests_UsesRandomIds_AndGetsLargeAnswers()
    {
        // A stand-in host on loopback shows what the client sends.
        using var listener = Bound();
        await using (var client = ModulusClient.Connect($"udp://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}"))
        {
            var calls = Enumerable.Range(0, 2).Select(_ => client.CallAsync("counter", [Value.From("x")], null, new ModulusCallOptions(TimeSpan.FromMilliseconds(300)))).ToArray();
            var buffer = new byte[65536];
            var ids = new HashSet<ulong>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            while (ids.Count < 2)
            {
                var received = await listener.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                Assert.True(received.ReceivedBytes >= UdpFraming.MinRequestBytes, $"a {received.ReceivedBytes}-byte request was not padded");
                ids.Add(Envelope.Parser.ParseFrom(buffer.AsSpan(0, received.ReceivedBytes)).Id);
            }

            Assert.DoesNotContain(1UL, ids);
            Assert.DoesNotContain(2UL, ids);
            foreach (var call in calls)
            {
                await Assert.ThrowsAsync<ModulusException>(() => call);
            }
        }

        // A 20 KB answer is more than 3× the padded request: the client pads further when asked.
        await using var real = ModulusClient.Connect(_host.Addresses.Single(a => a.StartsWith("udp://", StringComparison.Ordinal)));
        var big = await real.CallAsync("counter", [Value.From("big")], new Dictionary<string, Value> { ["pad"] = Value.From(20_000) });
        Assert.Equal(20_003, big.AsString().Length);
        Assert.Equal(1, (await _host.Client.CallAsync("counter/runs_", "big")).AsInt());
        Assert.NotEmpty((await real.ListAsync()).Modules);
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static byte[] Call(ulong id, string key, int pad = 0, int padTo = UdpFraming.MinRequestBytes)
    {
        var request = CallMapper.ToMessage(new ModuleCall("counter", ModuleCall.DefaultEndpoint, [Value.From(key)], pad == 0 ? new Dictionary<string, Value>() : new Dictionary<string, Value> { ["pad"] = Value.From(pad) }));
        request.Id = id;
        return UdpFraming.ToPaddedDatagram(new Envelope { Id = id, CallRequest = request }, padTo);
    }

    private static string ResultOf(byte[] datagram)
    {
        var envelope = Envelope.Parser.ParseFrom(datagram);
        return CallMapper.ResultOf(envelope.CallResponse).AsString();
    }

    /// <summary>Every datagram that arrives within the time (or until <paramref name="stopAfter"/> have).</summary>
    private static async Task<List<byte[]>> ReceiveAllAsync(Socket socket, TimeSpan within, int stopAfter = int.MaxValue)
    {
        var answers = new List<byte[]>();
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[65536];
        try
        {
            while (answers.Count < stopAfter)
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
                answers.Add(buffer.AsSpan(0, received.ReceivedBytes).ToArray());
            }
        }
        catch (OperationCanceledException)
        {
        }

        return answers;
    }
}
