using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Modulus.Client;
using Modulus.Protocol.V1;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// The HTTP/2 settings of the gRPC listener, through a raw socket that speaks HTTP/2 by hand: a
/// connection that goes silent with no call is closed after <c>IdleTimeout</c>; one that goes
/// silent with a call in flight (a caller whose network vanished: half-open) is pinged after
/// <c>Http2KeepAlivePingDelay</c> and closed when no answer comes within <c>Http2KeepAlivePingTimeout</c>;
/// a live client answers the pings and keeps its long call.
/// </summary>
public sealed class Http2KeepAliveTests : IAsyncLifetime
{
    private const byte Data = 0x0, Headers = 0x1, Settings = 0x4, Ping = 0x6, GoAway = 0x7;
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly TempTree _tree = new();

    public Task InitializeAsync()
    {
        // Waits as long as it is asked to, and stops when its call is cancelled (the connection went away).
        _tree.AddCSharp("wait", "public sealed class Wait : Module { public async Task<long> Forward(long ms, CancellationToken token) { await Task.Delay((int)ms, token); return ms; } }");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _tree.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SilentConnection_WithNoCall_IsClosedAfterTheIdleTimeout()
    {
        await using var host = await TestHost.StartAsync(_tree, configure: o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(1);
            o.Http2KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        });
        using var socket = await OpenHttp2Async(host);

        var (closedAfter, frames) = await ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(15));

        Assert.InRange(closedAfter, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(6));
        Assert.DoesNotContain(Ping, frames);
        Assert.Contains(GoAway, frames);
        Assert.Equal(5, (await host.Client.CallAsync("wait", 5)).AsInt());
    }

    [Fact]
    public async Task HalfOpenConnection_WithACallInFlight_IsPinged_AndClosedWhenThePingGoesUnanswered()
    {
        await using var host = await TestHost.StartAsync(_tree, configure: o =>
        {
            // Idle closing cannot be what ends it: the call keeps the connection busy, and the idle timeout is long.
            o.IdleTimeout = TimeSpan.FromSeconds(60);
            o.Http2KeepAlivePingDelay = TimeSpan.FromSeconds(1);
            o.Http2KeepAlivePingTimeout = TimeSpan.FromSeconds(1);
        });
        using var socket = await OpenHttp2Async(host);
        // A call that would take 30 s, then silence: no frame, no PING acknowledgement.
        await socket.SendAsync(Frame(Headers, 0x4, 1, CallHeaders(host)));
        await socket.SendAsync(Frame(Data, 0x1, 1, GrpcMessage(new CallRequest { Id = 1, Module = "wait", Args = { new Value { IntValue = 30_000 } } })));

        var (closedAfter, frames) = await ReadUntilClosedAsync(socket, TimeSpan.FromSeconds(20));

        Assert.Contains(Ping, frames);
        // Ping delay plus ping timeout (Kestrel checks on a one-second heartbeat), far short of the call's 30 s.
        Assert.InRange(closedAfter, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
        Assert.Equal(5, (await host.Client.CallAsync("wait", 5)).AsInt());
    }

    [Fact]
    public async Task LiveClient_AnswersThePings_AndItsCallLongerThanThePingTimeoutCompletes()
    {
        await using var host = await TestHost.StartAsync(_tree, configure: o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(60);
            o.Http2KeepAlivePingDelay = TimeSpan.FromSeconds(1);
            o.Http2KeepAlivePingTimeout = TimeSpan.FromSeconds(1);
        });
        await using var client = ModulusClient.Connect(host.Address);
        var started = Stopwatch.StartNew();
        Assert.Equal(4000, (await client.CallAsync("wait", 4000)).AsInt());
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(4));
    }

    /// <summary>A TCP connection that has spoken HTTP/2's preface and SETTINGS, and acknowledged the host's.</summary>
    private static async Task<Socket> OpenHttp2Async(TestHost host)
    {
        var uri = new Uri(host.Address.Replace("grpc://", "http://", StringComparison.Ordinal));
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
        await socket.SendAsync(Preface.Concat(Frame(Settings, 0, 0, [])).ToArray());
        // The host's SETTINGS comes first; acknowledge it, as any client does, before going quiet.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var (type, flags) = await ReadFrameAsync(socket, timeout.Token);
        Assert.Equal((Settings, (byte)0), (type!.Value, flags));
        await socket.SendAsync(Frame(Settings, 0x1, 0, []));
        return socket;
    }

    /// <summary>Reads frames (never answering one) until the host closes the connection; how long that took and the frame types seen.</summary>
    private static async Task<(TimeSpan ClosedAfter, List<byte> Frames)> ReadUntilClosedAsync(Socket socket, TimeSpan limit)
    {
        var started = Stopwatch.StartNew();
        var frames = new List<byte>();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (await ReadFrameAsync(socket, timeout.Token) is ({ } type, _))
            {
                frames.Add(type);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with a reset: closed all the same.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the connection was still open after {limit.TotalSeconds} s (frames seen: {string.Join(", ", frames)})");
        }

        return (started.Elapsed, frames);
    }

    /// <summary>The next frame's type and flags, or (null, 0) when the connection has closed.</summary>
    private static async Task<(byte? Type, byte Flags)> ReadFrameAsync(Socket socket, CancellationToken cancellationToken)
    {
        var header = new byte[9];
        if (!await ReadExactlyAsync(socket, header, cancellationToken))
        {
            return (null, 0);
        }

        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        return await ReadExactlyAsync(socket, new byte[length], cancellationToken) ? (header[3], header[4]) : (null, 0);
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>The request headers of a gRPC call, HPACK-encoded as literals without indexing (no tables, no Huffman).</summary>
    private static byte[] CallHeaders(TestHost host)
    {
        var block = new List<byte>();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", "http"), (":path", "/modulus.v1.ModuleService/Call"),
            (":authority", new Uri(host.Address).Authority), ("content-type", "application/grpc"), ("te", "trailers"),
        })
        {
            block.Add(0x00);
            block.Add((byte)name.Length);
            block.AddRange(Encoding.ASCII.GetBytes(name));
            block.Add((byte)value.Length);
            block.AddRange(Encoding.ASCII.GetBytes(value));
        }

        return block.ToArray();
    }

    /// <summary>A gRPC length-prefixed message: uncompressed, 4-byte big-endian length, the protobuf bytes.</summary>
    private static byte[] GrpcMessage(IMessage message)
    {
        var body = message.ToByteArray();
        var framed = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), body.Length);
        body.CopyTo(framed, 5);
        return framed;
    }
}
