using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Modulus.Benchmarks.Peers.V1;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// The floors, in a process of their own (this program run as <c>floor-server</c>): a blocking TCP
/// echo and a UDP echo of 16 bytes with no framing, a bare grpc-dotnet unary echo, and a bare Kestrel
/// JSON echo that shows how far the HTTP load generator goes. Prints "listening on tcp=P udp=P grpc=P http=P unix=PATH".
/// </summary>
internal static class FloorServer
{
    public const int EchoBytes = 16;

    public static async Task<int> RunAsync()
    {
        using var tcp = new TcpListener(IPAddress.Loopback, 0);
        tcp.Start();
        new Thread(() => AcceptLoop(tcp)) { IsBackground = true }.Start();
        // A Unix domain socket, as between a Modulus host and its workers: the floor of one worker hop.
        var unixPath = Path.Combine(Path.GetTempPath(), $"modulus-floor-{Environment.ProcessId}.sock");
        File.Delete(unixPath);
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        unix.Bind(new UnixDomainSocketEndPoint(unixPath));
        unix.Listen(4);
        new Thread(() => UnixAcceptLoop(unix)) { IsBackground = true }.Start();
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        new Thread(() => UdpLoop(udp)) { IsBackground = true }.Start();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        app.MapPost("/echo", (HttpPeerCaller.TextBody body) => body);
        await app.StartAsync().ConfigureAwait(false);
        var ports = app.Urls.Select(u => new Uri(u).Port).ToArray();
        Console.WriteLine($"listening on tcp={((IPEndPoint)tcp.LocalEndpoint).Port} udp={((IPEndPoint)udp.LocalEndPoint!).Port} grpc={ports[0]} http={ports[1]} unix={unixPath}");

        // Runs until the harness kills it, or its standard input closes with the harness.
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        await app.StopAsync().ConfigureAwait(false);
        return 0;
    }

    private static void AcceptLoop(TcpListener listener)
    {
        while (true)
        {
            var peer = listener.AcceptSocket();
            peer.NoDelay = true;
            new Thread(() => EchoLoop(peer)) { IsBackground = true }.Start();
        }
    }

    private static void UnixAcceptLoop(Socket listener)
    {
        while (true)
        {
            var peer = listener.Accept();
            new Thread(() => EchoLoop(peer)) { IsBackground = true }.Start();
        }
    }

    private static void EchoLoop(Socket peer)
    {
        using (peer)
        {
            try
            {
                EchoUntilClosed(peer);
            }
            catch (SocketException)
            {
                // The harness went away.
            }
        }
    }

    private static void EchoUntilClosed(Socket peer)
    {
        {
            var buffer = new byte[EchoBytes];
            while (true)
            {
                var read = 0;
                while (read < EchoBytes)
                {
                    var n = peer.Receive(buffer, read, EchoBytes - read, SocketFlags.None);
                    if (n == 0)
                    {
                        return;
                    }

                    read += n;
                }

                peer.Send(buffer);
            }
        }
    }

    private static void UdpLoop(Socket socket)
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            var n = socket.ReceiveFrom(buffer, ref from);
            socket.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
        }
    }

    private sealed class EchoService : Peer.PeerBase
    {
        public override Task<Text> Echo(Text request, ServerCallContext context) => Task.FromResult(request);
    }
}
