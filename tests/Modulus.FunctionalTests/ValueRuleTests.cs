using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Modulus.Client;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Modulus.Testing;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.FunctionalTests;

/// <summary>
/// Values that break a rule (too deep, not UTF-8, a tensor shape that overflows, a frame over the
/// limit), sent by hand through real sockets: each gets a specific error for that request alone.
/// </summary>
public sealed class ValueRuleTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }");
        _host = await TestHost.StartAsync(_tree, configure: o => o.MaxRequestBytes = 1024 * 1024);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Theory]
    [InlineData(100)]
    [InlineData(2000)]
    public async Task Tcp_TooDeep_IsInvalidArgumentNamingTheLimit_AndTheConnectionGoesOn(int depth)
    {
        using var socket = await ConnectTcpAsync();
        await socket.SendAsync(RawTcp.Frame(Call(41, Nested(depth))).Concat(RawTcp.Frame(Call(42, Nested(60)))).ToArray());
        var answers = new[] { await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5)), await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5)) }.ToDictionary(a => a.Id);

        Assert.Equal((int)StatusCode.InvalidArgument, answers[41].Error.Code);
        Assert.Contains("at most 64 levels deep", answers[41].Error.Message, StringComparison.Ordinal);
        Assert.Equal(Envelope.BodyOneofCase.CallResponse, answers[42].BodyCase);
        Assert.Equal(Nested(60), answers[42].CallResponse.Result);
    }

    [Fact]
    public async Task Udp_TooDeep_AndNotUtf8_AreAnswered()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var udp = Endpoint("udp");

        await socket.SendToAsync(UdpFraming.ToPaddedDatagram(Call(51, Nested(200)), UdpFraming.MinRequestBytes), udp);
        var deep = await ReceiveAsync(socket);
        Assert.Equal(51UL, deep.Id);
        Assert.Equal((int)StatusCode.InvalidArgument, deep.Error.Code);
        Assert.Contains("at most 64 levels deep", deep.Error.Message, StringComparison.Ordinal);

        await socket.SendToAsync(UdpFraming.ToPaddedDatagram(Call(52, Nested(60)), UdpFraming.MinRequestBytes), udp);
        Assert.Equal(Nested(60), (await ReceiveAsync(socket)).CallResponse.Result);

        await socket.SendToAsync(NotUtf8(53, padTo: UdpFraming.MinRequestBytes), udp);
        var text = await ReceiveAsync(socket);
        Assert.Equal(53UL, text.Id);
        Assert.Equal((int)StatusCode.InvalidArgument, text.Error.Code);
        Assert.Contains("not valid UTF-8", text.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tcp_NotUtf8_IsInvalidArgument_AndTheConnectionGoesOn()
    {
        using var socket = await ConnectTcpAsync();
        await socket.SendAsync(RawTcp.Frame(NotUtf8(61)).Concat(RawTcp.Frame(Call(62, new Protocol.V1.Value { StringValue = "fine" }))).ToArray());
        var answers = new[] { await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5)), await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5)) }.ToDictionary(a => a.Id);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[61].Error.Code);
        Assert.Contains("not valid UTF-8", answers[61].Error.Message, StringComparison.Ordinal);
        Assert.Equal("fine", answers[62].CallResponse.Result.StringValue);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(2000)]
    public async Task Grpc_Call_TooDeep_IsInvalidArgumentNamingTheLimit(int depth)
    {
        using var channel = GrpcChannel();
        var rpc = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => RawGrpcCallAsync(channel, Call(81, Nested(depth)).CallRequest.ToByteArray()));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, rpc.StatusCode);
        Assert.Equal("values nest at most 64 levels deep (lists and maps); this request nests deeper", rpc.Status.Detail);

        // 60 levels is within the rule, read by the host and by the client alike; then a plain call.
        var deep = ParseDeepResponse(await RawGrpcCallAsync(channel, Call(82, Nested(60)).CallRequest.ToByteArray()));
        Assert.Equal(Nested(60), deep.Result);
        Assert.Equal(60, Depth(await _host.Client.CallAsync("echo", Protocol.ValueMapper.FromMessage(Nested(60)))));
        Assert.Equal("after", (await _host.Client.CallAsync("echo", "after")).AsString());
    }

    [Fact]
    public async Task Grpc_Call_NotUtf8_IsInvalidArgument()
    {
        using var channel = GrpcChannel();
        var rpc = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => RawGrpcCallAsync(channel, NotUtf8CallRequest(91)));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, rpc.StatusCode);
        Assert.Contains("not valid UTF-8", rpc.Status.Detail, StringComparison.Ordinal);

        var garbage = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => RawGrpcCallAsync(channel, [0xFF, 0xFF, 0xFF]));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, garbage.StatusCode);
        Assert.Contains("not a modulus.v1.CallRequest", garbage.Status.Detail, StringComparison.Ordinal);

        Assert.Equal("after", (await _host.Client.CallAsync("echo", "after")).AsString());
    }

    [Fact]
    public async Task Grpc_CallStream_RefusesTheBadItems_AndTheStreamGoesOn()
    {
        using var channel = GrpcChannel();
        using var stream = channel.CreateCallInvoker().AsyncDuplexStreamingCall(RawCallStream, null, new Grpc.Core.CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        await stream.RequestStream.WriteAsync(Call(101, Nested(200)).CallRequest.ToByteArray());
        await stream.RequestStream.WriteAsync(NotUtf8CallRequest(102));
        await stream.RequestStream.WriteAsync(Call(103, Nested(60)).CallRequest.ToByteArray());
        await stream.RequestStream.CompleteAsync();

        var answers = new Dictionary<ulong, CallResponse>();
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            var answer = ParseDeepResponse(stream.ResponseStream.Current);
            answers.Add(answer.Id, answer);
        }

        Assert.Equal(Grpc.Core.StatusCode.OK, stream.GetStatus().StatusCode);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[101].Error.Code);
        Assert.Equal("values nest at most 64 levels deep (lists and maps); this request nests deeper", answers[101].Error.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[102].Error.Code);
        Assert.Contains("not valid UTF-8", answers[102].Error.Message, StringComparison.Ordinal);
        Assert.Equal(Nested(60), answers[103].Result);
    }

    [Fact]
    public async Task Grpc_CallStream_BytesThatAreNotACallRequest_EndTheStreamWithInvalidArgument()
    {
        using var channel = GrpcChannel();
        using var stream = channel.CreateCallInvoker().AsyncDuplexStreamingCall(RawCallStream, null, new Grpc.Core.CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        await stream.RequestStream.WriteAsync(Call(111, new Protocol.V1.Value { StringValue = "first" }).CallRequest.ToByteArray());
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("first", CallResponse.Parser.ParseFrom(stream.ResponseStream.Current).Result.StringValue);

        await stream.RequestStream.WriteAsync([0xFF, 0xFF, 0xFF]);
        var rpc = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => stream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, rpc.StatusCode);
        Assert.Contains("not a modulus.v1.CallRequest", rpc.Status.Detail, StringComparison.Ordinal);

        Assert.Equal("after", (await _host.Client.CallAsync("echo", "after")).AsString());
    }

    [Fact]
    public async Task TensorShapeThatOverflows_IsRefused_OnEveryTransport()
    {
        // [2^62] FP32 with no data: 2^64 bytes, which wrapped to 0 and matched the empty data.
        var tensor = new Protocol.V1.Value { TensorValue = new Protocol.V1.Tensor { Dtype = DataType.Fp32, Shape = { 1L << 62 } } };

        using var grpc = Grpc.Net.Client.GrpcChannel.ForAddress(_host.Address.Replace("grpc://", "http://", StringComparison.Ordinal));
        var rpc = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => new ModuleService.ModuleServiceClient(grpc).CallAsync(Call(70, tensor).CallRequest).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, rpc.StatusCode);
        Assert.Contains("too large", rpc.Status.Detail, StringComparison.Ordinal);

        using var tcp = await ConnectTcpAsync();
        await tcp.SendAsync(RawTcp.Frame(Call(71, tensor)));
        var answer = await RawTcp.ReadEnvelopeAsync(tcp, TimeSpan.FromSeconds(5));
        Assert.Equal((int)StatusCode.InvalidArgument, answer.CallResponse.Error.Code);
        Assert.Contains("too large", answer.CallResponse.Error.Message, StringComparison.Ordinal);

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendToAsync(UdpFraming.ToPaddedDatagram(Call(72, tensor), UdpFraming.MinRequestBytes), Endpoint("udp"));
        var datagram = await ReceiveAsync(udp);
        Assert.Equal((int)StatusCode.InvalidArgument, datagram.CallResponse.Error.Code);

        Assert.Equal("after", (await _host.Client.CallAsync("echo", "after")).AsString());
    }

    [Fact]
    public async Task Tcp_OversizedFrame_IsAnsweredResourceExhaustedWithItsId_BeforeTheConnectionCloses()
    {
        using var socket = await ConnectTcpAsync();
        var header = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header, 2 * 1024 * 1024);
        await socket.SendAsync(header.Concat(new byte[] { 0x08, 0x99, 0x01 }).ToArray());
        var answer = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5));
        Assert.Equal(153UL, answer.Id);
        Assert.Equal((int)StatusCode.ResourceExhausted, answer.Error.Code);
        Assert.Contains("over the 1048576-byte limit", answer.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None));

        await using var client = ModulusClient.Connect(_host.Addresses.Single(a => a.StartsWith("tcp://", StringComparison.Ordinal)));
        Assert.Equal("after", (await client.CallAsync("echo", "after")).AsString());
    }

    private static readonly Grpc.Core.Marshaller<byte[]> RawBytes = Grpc.Core.Marshallers.Create(b => b, b => b);

    /// <summary>modulus.v1.ModuleService/Call with the message as raw bytes, so that the test sends what it means to.</summary>
    private static readonly Grpc.Core.Method<byte[], byte[]> RawCall = new(Grpc.Core.MethodType.Unary, "modulus.v1.ModuleService", "Call", RawBytes, RawBytes);

    private static readonly Grpc.Core.Method<byte[], byte[]> RawCallStream = new(Grpc.Core.MethodType.DuplexStreaming, "modulus.v1.ModuleService", "CallStream", RawBytes, RawBytes);

    private Grpc.Net.Client.GrpcChannel GrpcChannel() =>
        Grpc.Net.Client.GrpcChannel.ForAddress(_host.Address.Replace("grpc://", "http://", StringComparison.Ordinal), new Grpc.Net.Client.GrpcChannelOptions { MaxReceiveMessageSize = null });

    private static Task<byte[]> RawGrpcCallAsync(Grpc.Net.Client.GrpcChannel channel, byte[] request) =>
        channel.CreateCallInvoker().AsyncUnaryCall(RawCall, null, new Grpc.Core.CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), request).ResponseAsync;

    private static CallResponse ParseDeepResponse(byte[] bytes) => EnvelopeReader.ParseDeep<CallResponse>(bytes);

    /// <summary>A call request (no envelope) whose string argument is not UTF-8.</summary>
    private static byte[] NotUtf8CallRequest(ulong id)
    {
        var bytes = Call(id, new Protocol.V1.Value { StringValue = "\u00e9\u00e9" }).CallRequest.ToByteArray();
        var at = bytes.AsSpan().IndexOf(new byte[] { 0xC3, 0xA9, 0xC3, 0xA9 });
        bytes[at] = 0xFF;
        bytes[at + 1] = 0xFE;
        return bytes;
    }

    private static int Depth(Sdk.Value value) => value.Kind switch
    {
        ValueKind.List => 1 + value.AsList().Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    private static Protocol.V1.Value Nested(int depth)
    {
        var value = new Protocol.V1.Value { IntValue = 7 };
        for (var i = 0; i < depth; i++)
        {
            value = new Protocol.V1.Value { ListValue = new ListValue { Items = { value } } };
        }

        return value;
    }

    private static Envelope Call(ulong id, Protocol.V1.Value arg) => new() { Id = id, CallRequest = new CallRequest { Id = id, Module = "echo", Args = { arg } } };

    /// <summary>A call whose string argument holds bytes that are not UTF-8 (0xFF 0xFE).</summary>
    private static byte[] NotUtf8(ulong id, int padTo = 0)
    {
        var bytes = UdpFraming.ToPaddedDatagram(Call(id, new Protocol.V1.Value { StringValue = "\u00e9\u00e9" }), padTo);
        var at = bytes.AsSpan().IndexOf(new byte[] { 0xC3, 0xA9, 0xC3, 0xA9 });
        bytes[at] = 0xFF;
        bytes[at + 1] = 0xFE;
        bytes[at + 2] = 0xFF;
        bytes[at + 3] = 0xFE;
        return bytes;
    }

    private async Task<Socket> ConnectTcpAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Endpoint("tcp"));
        return socket;
    }

    private IPEndPoint Endpoint(string scheme)
    {
        var uri = new Uri(_host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)));
        return new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
    }

    private static async Task<Envelope> ReceiveAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[65536];
        var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
        return UdpFraming.Parse(buffer.AsSpan(0, received.ReceivedBytes));
    }
}
