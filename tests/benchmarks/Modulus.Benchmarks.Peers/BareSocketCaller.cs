using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// The floor: a blocking 16-byte ping-pong over loopback TCP or UDP (or a Unix domain socket) with the floor server process; no
/// framing, no message model, no module. One call in flight only.
/// </summary>
internal sealed class BareSocketCaller : ICaller
{
    private readonly Socket _socket;
    private readonly byte[] _reply = new byte[64];
    private byte[] _message = [];

    public BareSocketCaller(string name, ServerProcess server, int port, bool udp)
    {
        Name = name;
        Server = server;
        _socket = udp
            ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.ReceiveTimeout = 5_000;
        _socket.Connect(IPAddress.Loopback, port);
    }

    /// <summary>A ping-pong over a Unix domain socket (the floor of a host-to-worker hop).</summary>
    public BareSocketCaller(string name, ServerProcess server, string unixPath)
    {
        Name = name;
        Server = server;
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5_000 };
        _socket.Connect(new UnixDomainSocketEndPoint(unixPath));
    }

    public string Name { get; }

    public ServerProcess Server { get; }

    public bool Serves(Workload work) => work is { Kind: WorkKind.Echo, Python: false, PayloadBytes: FloorServer.EchoBytes };

    public ValueTask CallAsync(Workload work, CancellationToken cancellationToken)
    {
        if (_message.Length == 0)
        {
            _message = Encoding.ASCII.GetBytes(work.Text);
        }

        _socket.Send(_message);
        var read = 0;
        while (read < _message.Length)
        {
            var n = _socket.Receive(_reply, read, _reply.Length - read, SocketFlags.None);
            if (n == 0)
            {
                throw new InvalidOperationException($"{Name}: the floor server closed the connection");
            }

            read += n;
        }

        work.Check(Name, Encoding.ASCII.GetString(_reply, 0, read), null);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
