using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Modulus.Client;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>Bad bytes through real sockets: each costs at most its own connection, and the host keeps answering.</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }");
        _host = await TestHost.StartAsync(_tree, configure: o =>
        {
            o.FrameTimeout = TimeSpan.FromMilliseconds(500);
            o.MaxRequestBytes = 1024 * 1024;
            o.MaxConnections = 8;
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    private IPEndPoint Endpoint(string scheme)
    {
        var uri = new Uri(_host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)));
        return new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
    }

    [Fact]
    public async Task Tcp_OversizedLengthPrefix_ClosesThatConnectionOnly()
    {
        using var socket = await ConnectAsync();
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, uint.MaxValue);
        await socket.SendAsync(header);

        Assert.True(await ClosedByHostAsync(socket, TimeSpan.FromSeconds(5)));
        Assert.Contains(_host.Logs.Entries, e => e.EventName == "TcpConnectionDropped" && e.Message.Contains("over the 1048576-byte limit", StringComparison.Ordinal));
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Tcp_RandomBytes_ClosesThatConnection()
    {
        using var socket = await ConnectAsync();
        var garbage = new byte[64];
        new Random(7).NextBytes(garbage);
        BinaryPrimitives.WriteUInt32BigEndian(garbage, 60);
        await socket.SendAsync(garbage);

        Assert.True(await ClosedByHostAsync(socket, TimeSpan.FromSeconds(5)));
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Tcp_TruncatedFrame_ThenClose_LeavesTheHostServing()
    {
        using (var socket = await ConnectAsync())
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, 100);
            await socket.SendAsync(header.Concat(new byte[10]).ToArray());
            socket.Shutdown(SocketShutdown.Send);
            Assert.True(await ClosedByHostAsync(socket, TimeSpan.FromSeconds(5)));
        }

        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Tcp_FrameThatNeverFinishes_IsDroppedAfterTheFrameTimeout()
    {
        using var socket = await ConnectAsync();
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, 1000);
        await socket.SendAsync(header.Concat(new byte[10]).ToArray());

        Assert.True(await ClosedByHostAsync(socket, TimeSpan.FromSeconds(10)), "the host kept a connection whose frame never finished");
        Assert.Contains(_host.Logs.Entries, e => e.EventName == "TcpConnectionDropped" && e.Message.Contains("did not finish within", StringComparison.Ordinal));
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Udp_GarbageDatagrams_AreIgnored()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var random = new Random(11);
        for (var i = 0; i < 50; i++)
        {
            var garbage = new byte[random.Next(1, 2000)];
            random.NextBytes(garbage);
            await socket.SendToAsync(garbage, SocketFlags.None, Endpoint("udp"));
        }

        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Tcp_ConnectionsOverTheLimit_AreRefused_AndFreedSlotsServeAgain()
    {
        // The test host's own client holds a gRPC connection; idle sockets fill the rest of the 8.
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                held.Add(await ConnectAsync());
            }

            var refused = 0;
            foreach (var socket in held)
            {
                if (await ClosedByHostAsync(socket, TimeSpan.FromMilliseconds(300)))
                {
                    refused++;
                }
            }

            Assert.InRange(refused, 4, 12);
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        await Task.Delay(200);
        await AssertStillServesAsync();
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Endpoint("tcp"));
        return socket;
    }

    /// <summary>True when the host closes the connection (a read returns 0 or fails) within the time.</summary>
    private static async Task<bool> ClosedByHostAsync(Socket socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task AssertStillServesAsync()
    {
        foreach (var address in _host.Addresses)
        {
            await using var client = ModulusClient.Connect(address);
            Assert.Equal("still here", (await client.CallAsync("echo", "still here")).AsString());
        }
    }
}
