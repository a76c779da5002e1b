using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Client.Internal;

/// <summary>
/// The UDP transport: one datagram per request and per answer. A request without an answer is sent
/// again with the same id, waiting twice as long each time; the host answers a repeat from its cache,
/// so the module runs once however many copies arrive. Requests are padded to
/// <see cref="UdpFraming.MinRequestBytes"/>, and a request whose answer is larger than the host may
/// send for it (3 times its size) is sent again padded as far as the host asks.
/// </summary>
internal sealed class UdpTransport(ModulusAddress address) : EnvelopeTransport(address)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _openGate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, TaskCompletionSource<int>> _padRequests = new();
    private Socket? _socket;
    private Task? _receiving;

    /// <summary>UDP answers with one datagram: a stream is refused here, before anything is sent.</summary>
    public override IAsyncEnumerable<CallResponse> StreamAsync(CallRequest request, DateTime deadlineUtc, CancellationToken cancellationToken) =>
        throw new ModulusException(StatusCode.FailedPrecondition,
            $"{request.Module}/{(string.IsNullOrEmpty(request.Endpoint) ? "forward" : request.Endpoint)}: UDP cannot carry a streamed answer (one datagram per answer); call it over TCP or gRPC (tcp://… or grpc://…)");

    public override async ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        if (_receiving is { } receiving)
        {
            await receiving.ConfigureAwait(false);
        }

        _openGate.Dispose();
    }

    /// <summary>Sends, then sends again after each wait without an answer, until answered or out of time.</summary>
    protected override async Task SendAsync(Envelope request, Task<Envelope> answered, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var size = request.CalculateSize();
        if (size > UdpFraming.MaxDatagramBytes)
        {
            throw UdpFraming.TooLarge("request", size);
        }

        var datagram = UdpFraming.ToPaddedDatagram(request, UdpFraming.MinRequestBytes);

        var socket = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var padRequested = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _padRequests[request.Id] = padRequested;
        try
        {
            var wait = FirstRetry;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            while (!answered.IsCompleted && DateTime.UtcNow < deadlineUtc && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // The receive side reports an unreachable host; a failed send is another lost datagram.
                }

                var left = deadlineUtc - DateTime.UtcNow;
                var delay = Task.Delay(left < wait ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : wait, stop.Token);
                var woke = await Task.WhenAny(answered, delay, padRequested.Task).ConfigureAwait(false);
                if (woke == padRequested.Task)
                {
                    // The answer is larger than the host may send for this size: send the same request padded.
                    datagram = UdpFraming.ToPaddedDatagram(request, await padRequested.Task.ConfigureAwait(false));
                    padRequested = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _padRequests[request.Id] = padRequested;
                    continue;
                }

                wait = wait * 2 < LongestRetry ? wait * 2 : LongestRetry;
            }

            await stop.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            _padRequests.TryRemove(request.Id, out _);
        }
    }

    private async Task<Socket> OpenAsync(CancellationToken cancellationToken)
    {
        if (_socket is { } open)
        {
            return open;
        }

        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_socket is { } raced)
            {
                return raced;
            }

            IPAddress ip;
            if (!IPAddress.TryParse(Address.Host.Trim('[', ']'), out ip!))
            {
                var addresses = await Dns.GetHostAddressesAsync(Address.Host, cancellationToken).ConfigureAwait(false);
                ip = addresses.FirstOrDefault() ?? throw new ModulusException(StatusCode.Unavailable, $"cannot resolve {Address.Host}");
            }

            var socket = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            // A connected UDP socket hears only its host, and learns of "port unreachable" as an error.
            socket.Connect(new IPEndPoint(ip, Address.Port));
            _socket = socket;
            _receiving = ReceiveLoopAsync(socket);
            return socket;
        }
        finally
        {
            _openGate.Release();
        }
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                FailAll(new ModulusException(StatusCode.Unavailable, $"nothing listens at {Address}; is `modulus serve` running there with UDP on?"));
                continue;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                var answer = UdpFraming.Parse(buffer.AsSpan(0, received));
                if (answer.PadTo > 0 && _padRequests.TryGetValue(answer.Id, out var padRequested) && answer.PadTo <= UdpFraming.MaxDatagramBytes)
                {
                    padRequested.TrySetResult((int)answer.PadTo);
                    continue;
                }

                Deliver(answer);
            }
            catch (InvalidProtocolBufferException)
            {
                // Not an envelope: not from a Modulus host, not for us.
            }
        }
    }
}
