using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Hosting.Transports.Udp;

/// <summary>
/// The UDP transport: one envelope per datagram each way. A caller retransmits on loss with the
/// same request id; the host answers a retransmission from a short replay cache (or, while the first
/// copy still runs, by that run's answer) so a module never runs twice for one request. The cache is
/// keyed by source, id and a hash of the request's content, and bounded in bytes. No source is
/// validated, so no answer is more than <see cref="UdpFraming.AmplificationLimit"/> times the datagram
/// it answers: a larger one is replaced by a short error asking the caller to pad its request.
/// </summary>
internal sealed class UdpTransportService(CallDispatcher dispatcher, IOptions<ModulusServerOptions> options, ILogger<UdpTransportService> logger) : BackgroundService
{
    /// <summary>The most answers kept for replay, whatever their size; the oldest go first beyond it.</summary>
    private const int MaxReplayEntries = 65_536;

    /// <summary>What a cache entry costs beside its answer's bytes (key, task, queue slot).</summary>
    private const int EntryOverheadBytes = 256;

    private readonly ConcurrentDictionary<ReplayKey, ReplayEntry> _replay = new();
    private readonly ConcurrentQueue<(ReplayKey Key, ReplayEntry Entry, long Expires)> _replayOrder = new();
    private long _replayBytes;
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
        var sends = new List<Task>();
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
                if (dispatcher.RefuseOversized(new System.Buffers.ReadOnlySequence<byte>(buffer, 0, received.ReceivedBytes), inEnvelope: true) is { } oversized)
                {
                    var id = EnvelopeReader.ReadId(new System.Buffers.ReadOnlySequence<byte>(buffer, 0, received.ReceivedBytes));
                    var refusal = UdpFraming.ToDatagram(new Envelope { Id = id, Error = new Error { Code = (int)oversized.Code, Message = oversized.Message } });
                    sends.Add(SendWhenReadyAsync(socket, Task.FromResult(refusal), id, received.ReceivedBytes, remote, stoppingToken));
                    continue;
                }

                var read = EnvelopeReader.Read(buffer.AsSpan(0, received.ReceivedBytes));
                if (read.Error is { } refused)
                {
                    var refusal = UdpFraming.ToDatagram(new Envelope { Id = read.Id, Error = new Error { Code = (int)refused.Code, Message = refused.Message } });
                    sends.Add(SendWhenReadyAsync(socket, Task.FromResult(refusal), read.Id, received.ReceivedBytes, remote, stoppingToken));
                    continue;
                }

                request = read.Envelope!;
            }
            catch (InvalidProtocolBufferException ex)
            {
                HostingLog.UdpDatagramIgnored(logger, remote.ToString(), $"not a modulus.v1.Envelope ({ex.Message})");
                continue;
            }

            var key = new ReplayKey(remote, request.Id, UdpFraming.ContentHash(request));
            sends.RemoveAll(t => t.IsCompleted);
            if (_replay.TryGetValue(key, out var earlier))
            {
                // A retransmission: answer it with the first run's answer, never run it again.
                sends.Add(SendWhenReadyAsync(socket, earlier.Answer, request.Id, received.ReceivedBytes, remote, stoppingToken));
                continue;
            }

            await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
            var entry = new ReplayEntry();
            entry.Answer = AnswerAsync(request, entry, remote.Address.ToString(), slots, stoppingToken);
            _replay[key] = entry;
            _replayOrder.Enqueue((key, entry, Environment.TickCount64 + (long)options.Value.UdpReplayWindow.TotalMilliseconds));
            sends.Add(SendWhenReadyAsync(socket, entry.Answer, request.Id, received.ReceivedBytes, remote, stoppingToken));
            ForgetExpired();
        }

        // Answers still being sent go out (or are cancelled) before the socket closes.
        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    /// <summary>The bytes the replay cache holds now (answers and their bookkeeping).</summary>
    internal long ReplayBytes => Interlocked.Read(ref _replayBytes);

    private async Task<byte[]> AnswerAsync(Envelope request, ReplayEntry entry, string peer, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            var response = request.CallRequest is { } call && dispatcher.RefuseStream(call, "UDP") is { } refused
                ? new Envelope { Id = request.Id, CallResponse = CallMapper.Failure(request.Id, refused.Code, refused.Message) }
                : await dispatcher.AnswerAsync(request, peer, stoppingToken).ConfigureAwait(false);
            var datagram = UdpFraming.ToDatagram(response);
            if (datagram.Length > UdpFraming.MaxDatagramBytes)
            {
                var tooLarge = UdpFraming.TooLarge("result", datagram.Length);
                datagram = UdpFraming.ToDatagram(new Envelope
                {
                    Id = request.Id,
                    CallResponse = new CallResponse { Id = request.Id, Error = new Error { Code = (int)tooLarge.Code, Message = tooLarge.Message } },
                });
            }

            lock (entry)
            {
                // An entry evicted while its call ran never counts its answer.
                if (!entry.Evicted)
                {
                    entry.Bytes = datagram.Length;
                    Interlocked.Add(ref _replayBytes, datagram.Length);
                }
            }

            return datagram;
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task SendWhenReadyAsync(Socket socket, Task<byte[]> answer, ulong id, int requestBytes, IPEndPoint remote, CancellationToken stoppingToken)
    {
        try
        {
            var datagram = await answer.ConfigureAwait(false);
            if (datagram.Length > (long)requestBytes * UdpFraming.AmplificationLimit)
            {
                // The source may be spoofed: ask for a padded copy (the answer stays cached for it).
                var padRequest = UdpFraming.PadRequest(id, requestBytes, datagram.Length);
                if (padRequest is null)
                {
                    HostingLog.UdpDatagramIgnored(logger, remote.ToString(), $"a {requestBytes}-byte request is too small to answer without amplification");
                    return;
                }

                datagram = padRequest;
            }

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
        var maxBytes = options.Value.UdpReplayCacheBytes;
        while (_replayOrder.TryPeek(out var oldest)
            && (oldest.Expires <= now || _replayOrder.Count > MaxReplayEntries || _replayBytes + ((long)_replayOrder.Count * EntryOverheadBytes) > maxBytes)
            && _replayOrder.TryDequeue(out oldest))
        {
            _replay.TryRemove(new KeyValuePair<ReplayKey, ReplayEntry>(oldest.Key, oldest.Entry));
            lock (oldest.Entry)
            {
                oldest.Entry.Evicted = true;
                Interlocked.Add(ref _replayBytes, -oldest.Entry.Bytes);
            }
        }
    }

    private readonly record struct ReplayKey(IPEndPoint Remote, ulong Id, UInt128 ContentHash);

    private sealed class ReplayEntry
    {
        public Task<byte[]> Answer { get; set; } = null!;

        /// <summary>The answer's bytes once counted in the cache's total.</summary>
        public int Bytes { get; set; }

        public bool Evicted { get; set; }
    }
}
