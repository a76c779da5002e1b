using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Hosting.Transports.Udp;

/// <summary>
/// The UDP transport: one envelope per datagram each way. A caller retransmits on loss with the
/// same request id; the host answers a retransmission from a short replay cache (or, while the first
/// copy still runs, by that run's answer) so a module never runs twice for one request.
/// </summary>
internal sealed class UdpTransportService(CallDispatcher dispatcher, IOptions<ModulusServerOptions> options, ILogger<UdpTransportService> logger) : BackgroundService
{
    /// <summary>The most answers kept for replay; the oldest go first beyond it.</summary>
    private const int MaxReplayEntries = 65_536;

    private readonly ConcurrentDictionary<(IPEndPoint Remote, ulong Id), Task<byte[]>> _replay = new();
    private readonly ConcurrentQueue<((IPEndPoint Remote, ulong Id) Key, long Expires)> _replayOrder = new();
    private Socket? _socket;

    /// <summary>Where the transport listens, once started; null when UDP is switched off.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.UdpPort is not { } port)
        {
            return Task.CompletedTask;
        }

        var address = settings.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(settings.Host);
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException ex)
        {
            _socket.Dispose();
            throw new IOException($"Failed to bind to address udp://{settings.Host}:{port}: {ex.Message}", ex);
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        _socket?.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var socket = _socket!;
        var buffer = GC.AllocateArray<byte>(64 * 1024, pinned: true);
        EndPoint anyRemote = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        using var slots = new SemaphoreSlim(options.Value.MaxCallsPerConnection);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, anyRemote, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // An ICMP "port unreachable" for an earlier answer, say: it concerns that peer, not the service.
                HostingLog.UdpReceiveFailed(logger, ex.Message);
                continue;
            }

            var remote = (IPEndPoint)received.RemoteEndPoint;
            Envelope request;
            try
            {
                request = UdpFraming.Parse(buffer.AsSpan(0, received.ReceivedBytes));
            }
            catch (InvalidProtocolBufferException ex)
            {
                HostingLog.UdpDatagramIgnored(logger, remote.ToString(), $"not a modulus.v1.Envelope ({ex.Message})");
                continue;
            }

            var key = (remote, request.Id);
            if (_replay.TryGetValue(key, out var earlier))
            {
                // A retransmission: answer it with the first run's answer, never run it again.
                _ = SendWhenReadyAsync(socket, earlier, remote, stoppingToken);
                continue;
            }

            await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
            var answer = AnswerAsync(request, remote.Address.ToString(), slots, stoppingToken);
            _replay[key] = answer;
            _replayOrder.Enqueue((key, Environment.TickCount64 + (long)options.Value.UdpReplayWindow.TotalMilliseconds));
            _ = SendWhenReadyAsync(socket, answer, remote, stoppingToken);
            ForgetExpired();
        }
    }

    private async Task<byte[]> AnswerAsync(Envelope request, string peer, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            var response = await dispatcher.AnswerAsync(request, peer, stoppingToken).ConfigureAwait(false);
            var datagram = UdpFraming.ToDatagram(response);
            if (datagram.Length <= UdpFraming.MaxDatagramBytes)
            {
                return datagram;
            }

            var tooLarge = UdpFraming.TooLarge("result", datagram.Length);
            return UdpFraming.ToDatagram(new Envelope
            {
                Id = request.Id,
                CallResponse = new CallResponse { Id = request.Id, Error = new Error { Code = (int)tooLarge.Code, Message = tooLarge.Message } },
            });
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task SendWhenReadyAsync(Socket socket, Task<byte[]> answer, IPEndPoint remote, CancellationToken stoppingToken)
    {
        try
        {
            var datagram = await answer.ConfigureAwait(false);
            await socket.SendToAsync(datagram, SocketFlags.None, remote, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Lost like any datagram: the caller retransmits and gets the cached answer.
        }
    }

    private void ForgetExpired()
    {
        var now = Environment.TickCount64;
        while (_replayOrder.TryPeek(out var oldest)
            && (oldest.Expires <= now || _replayOrder.Count > MaxReplayEntries)
            && _replayOrder.TryDequeue(out oldest))
        {
            _replay.TryRemove(oldest.Key, out _);
        }
    }
}
