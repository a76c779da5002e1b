using System.Net;
using System.Net.Sockets;
using Modulus.Client;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// Connections that send nothing, or hold more than their share, through real sockets: they are
/// closed or refused, and a real client still gets through. The silent connections come from
/// 127.0.0.2 (still the loopback interface) so that the per-address cap can tell them from the client.
/// </summary>
public sealed class ConnectionHygieneTests : IAsyncLifetime
{
    private const int Silent = 300;
    private const int PerAddress = 40;
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }");
        _tree.AddCSharp("slow", "public sealed class Slow : Module { public Value Forward(Value v) { System.Threading.Thread.Sleep(2500); return v; } }");
        _host = await TestHost.StartAsync(_tree, configure: o =>
        {
            o.ConnectionStartTimeout = TimeSpan.FromSeconds(1);
            o.IdleTimeout = TimeSpan.FromSeconds(1);
            o.MaxConnectionsPerAddress = PerAddress;
            o.MaxConnections = 100;
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("grpc")]
    public async Task SilentConnections_AreCappedPerAddress_ClosedAfterTheStartTimeout_AndClientsGetThrough(string scheme)
    {
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < Silent; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(socket);
                socket.Bind(new IPEndPoint(Attacker, 0));

                await socket.ConnectAsync(Endpoint(scheme));
            }

            // While they are held, a real client over the same listener is answered at once.
            await using (var client = ModulusClient.Connect(Address(scheme)))
            {
                Assert.Equal("through", (await client.CallAsync("echo", "through")).AsString());
            }

            // Those over the per-address cap were closed on arrival; the rest after the start timeout.
            var closed = await Task.WhenAll(held.Select(s => ClosedByHostAsync(s, TimeSpan.FromSeconds(5))));
            Assert.All(closed, Assert.True);
            Assert.Contains(_host.Logs.Entries, e => e.EventName == "ConnectionRefused" && e.Message.Contains("Modulus:MaxConnectionsPerAddress", StringComparison.Ordinal));
            Assert.Contains(_host.Logs.Entries, e => e.EventName == "ConnectionRefused" && e.Message.Contains("sent nothing within 1 s", StringComparison.Ordinal));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        await using var after = ModulusClient.Connect(Address(scheme));
        Assert.Equal("after", (await after.CallAsync("echo", "after")).AsString());
    }

    [Fact]
    public async Task HostWideBudget_CountsBothListeners()
    {
        // 100 in all: silent connections from several loopback addresses fill it across both listeners.
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 110; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.1.{1 + (i / 20)}"), 0));

                await socket.ConnectAsync(Endpoint(i % 2 == 0 ? "tcp" : "grpc"));
            }

            await Task.Delay(300);
            Assert.Contains(_host.Logs.Entries, e => e.EventName == "ConnectionRefused" && e.Message.Contains("the host's 100 connections (Modulus:MaxConnections)", StringComparison.Ordinal));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        await Task.Delay(300);
        await using var after = ModulusClient.Connect(Address("tcp"));
        Assert.Equal("after", (await after.CallAsync("echo", "after")).AsString());
    }

    [Fact]
    public async Task Tcp_IdleConnection_IsClosed_ButNotWhileACallRuns()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Endpoint("tcp"));
        var frame = RawTcp.Frame(new Protocol.V1.Envelope { Id = 1, ListRequest = new Protocol.V1.ListModulesRequest() });
        await socket.SendAsync(frame);
        var answer = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5));
        Assert.Equal(Protocol.V1.Envelope.BodyOneofCase.ListResponse, answer.BodyCase);

        // It says so before it closes: a request on its way now was not run, and may be sent again.
        var goAway = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(5));
        Assert.Equal(Protocol.V1.Envelope.BodyOneofCase.GoAway, goAway.BodyCase);
        Assert.Contains("idle for 1 s", goAway.GoAway.Reason, StringComparison.Ordinal);
        Assert.True(await ClosedByHostAsync(socket, TimeSpan.FromSeconds(5)), "an idle connection was kept past the idle timeout");
        Assert.Contains(_host.Logs.Entries, e => e.EventName == "TcpConnectionIdle");

        // A call that runs longer than the idle timeout keeps its connection.
        await using var client = ModulusClient.Connect(Address("tcp"));
        Assert.Equal("slow", (await client.CallAsync("slow", "slow")).AsString());
        Assert.Equal("again", (await client.CallAsync("echo", "again")).AsString());
    }

    private IPEndPoint Endpoint(string scheme)
    {
        var uri = new Uri(Address(scheme));
        return new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
    }

    private string Address(string scheme) => _host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal));

    private static async Task<bool> ClosedByHostAsync(Socket socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) != 0)
            {
            }

            return true;
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
}
