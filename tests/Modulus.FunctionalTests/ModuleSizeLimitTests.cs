using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Net.Client;
using Modulus.Client;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// A request over its module's own <c>limits.max_request_bytes</c> is refused from its first bytes,
/// before its values are read: shown by requests whose values are not even well-formed, which
/// would fail to parse if they were read.
/// </summary>
public sealed class ModuleSizeLimitTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("small", "public sealed class Small : Module { public Value Forward(Value v) => v; }", """, "limits": { "max_request_bytes": 1000 }""");
        _host = await TestHost.StartAsync(_tree);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task Tcp_OverTheModulesLimit_IsRefusedUnread_AndTheConnectionGoesOn()
    {
        var endpoint = Endpoint("tcp");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        await socket.SendAsync(RawTcp.Frame(Unreadable(id: 41, envelope: true, bytes: 200_000)));
        var refused = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(10));
        Assert.Equal(41ul, refused.Id);
        Assert.Equal((int)StatusCode.ResourceExhausted, refused.Error.Code);
        Assert.Contains("the request to small is", refused.Error.Message, StringComparison.Ordinal);
        Assert.Contains("accepts at most 1000 (limits.max_request_bytes)", refused.Error.Message, StringComparison.Ordinal);

        var ok = new Envelope { Id = 42, CallRequest = new CallRequest { Module = "small", Endpoint = "forward", Args = { new Protocol.V1.Value { StringValue = "fits" } } } };
        await socket.SendAsync(RawTcp.Frame(ok));
        var answer = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(10));
        Assert.Equal("fits", answer.CallResponse.Result.StringValue);
    }

    [Fact]
    public async Task Udp_OverTheModulesLimit_IsRefusedUnread()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(Endpoint("udp"));
        socket.Send(Unreadable(id: 7, envelope: true, bytes: 5_000));
        var buffer = new byte[65_536];
        socket.ReceiveTimeout = 10_000;
        var received = socket.Receive(buffer);
        var refused = Envelope.Parser.ParseFrom(buffer, 0, received);
        Assert.Equal(7ul, refused.Id);
        Assert.Equal((int)StatusCode.ResourceExhausted, refused.Error.Code);
        Assert.Contains("limits.max_request_bytes", refused.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_OverTheModulesLimit_IsRefusedUnread_AndAGoodCallFollows()
    {
        using var channel = GrpcChannel.ForAddress(_host.Address.Replace("grpc://", "http://", StringComparison.Ordinal));
        var invoker = channel.CreateCallInvoker();
        var method = new Grpc.Core.Method<byte[], byte[]>(Grpc.Core.MethodType.Unary, "modulus.v1.ModuleService", "Call",
            Grpc.Core.Marshallers.Create(b => b, b => b), Grpc.Core.Marshallers.Create(b => b, b => b));
        var ex = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => invoker.AsyncUnaryCall(method, null, new Grpc.Core.CallOptions(), Unreadable(id: 5, envelope: false, bytes: 200_000)).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("limits.max_request_bytes", ex.Status.Detail, StringComparison.Ordinal);

        await using var client = ModulusClient.Connect(_host.Address);
        Assert.Equal("fits", (await client.CallAsync("small", "fits")).AsString());
    }

    private IPEndPoint Endpoint(string scheme)
    {
        var uri = new Uri(_host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)));
        return new IPEndPoint(IPAddress.Loopback, uri.Port);
    }

    /// <summary>
    /// A call to "small" whose id and module are well-formed and whose arguments are a field that
    /// claims more bytes than follow: a parser would refuse it as truncated.
    /// </summary>
    private static byte[] Unreadable(ulong id, bool envelope, int bytes)
    {
        var output = new MemoryStream();
        output.Write(new CallRequest { Id = id, Module = "small", Endpoint = "forward" }.ToByteArray());
        WriteField(output, 4, bytes * 4);
        output.Write(new byte[bytes]);
        var request = output.ToArray();
        if (!envelope)
        {
            return request;
        }

        var outer = new MemoryStream();
        var idField = new CodedOutputStream(outer, leaveOpen: true);
        idField.WriteTag(1, WireFormat.WireType.Varint);
        idField.WriteUInt64(id);
        idField.Flush();
        WriteField(outer, 2, request.Length);
        outer.Write(request);
        return outer.ToArray();
    }

    /// <summary>A length-delimited field's tag and length; its bytes follow.</summary>
    private static void WriteField(Stream output, int field, int length)
    {
        var coded = new CodedOutputStream(output, leaveOpen: true);
        coded.WriteTag(field, WireFormat.WireType.LengthDelimited);
        coded.WriteLength(length);
        coded.Flush();
    }
}
