using System.IO.Pipelines;
using System.Net.Sockets;
using Google.Protobuf;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Client.Internal;

/// <summary>
/// The TCP transport: one persistent connection carrying length-prefixed envelopes, many calls in
/// flight at once. A broken connection fails the calls on it (UNAVAILABLE); the next call reconnects.
/// A connection the host closes with a go-away fails its calls as not run, and they are sent again.
/// </summary>
internal sealed class TcpTransport(ModulusAddress address) : EnvelopeTransport(address)
{
    /// <summary>The largest answer this client reads; a host sends what its modules return.</summary>
    private const int MaxResponseBytes = 1 << 30;

    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Connection? _connection;

    public override async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _connectGate.Dispose();
        _writeGate.Dispose();
    }

    protected override async Task SendAsync(Envelope request, Task<Envelope> answered, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(deadlineUtc, cancellationToken).ConfigureAwait(false);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Before it can be answered: when this connection goes, exactly its own calls fail.
            connection.Unanswered.TryAdd(request.Id, 0);
            if (!connection.IsOpen)
            {
                // Closed while this waited to write: the host never saw the request.
                connection.Unanswered.TryRemove(request.Id, out _);
                throw new NotRunException($"the connection to {Address} closed before the request was sent");
            }

            TcpFraming.WriteFrame(connection.Writer, request);
            await connection.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await DropAsync(connection, ex.Message).ConfigureAwait(false);
            throw new ModulusException(StatusCode.Unavailable, $"the connection to {Address} broke: {ex.Message}");
        }
        finally
        {
            _writeGate.Release();
        }
    }

    protected override async Task CancelAsync(ulong id)
    {
        if (_connection is not { IsOpen: true } connection)
        {
            return;
        }

        // A cancelled stream is never answered again.
        connection.Unanswered.TryRemove(id, out _);

        try
        {
            await _writeGate.WaitAsync().ConfigureAwait(false);
            try
            {
                TcpFraming.WriteFrame(connection.Writer, new Envelope { Id = id, CancelRequest = new CancelRequest() });
                await connection.Writer.FlushAsync().ConfigureAwait(false);
            }
            finally
            {
                _writeGate.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone, and with it the host's call.
        }
    }

    private async Task<Connection> ConnectAsync(DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
        {
            return open;
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsOpen: true } raced)
            {
                return raced;
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Min(10, Math.Max(0.001, (deadlineUtc - DateTime.UtcNow).TotalSeconds))));
            try
            {
                await socket.ConnectAsync(Address.Host.Trim('[', ']'), Address.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                var reason = ex is SocketException se ? se.Message : "it did not answer in time";
                throw new ModulusException(StatusCode.Unavailable, $"cannot reach {Address}: {reason}; is `modulus serve` running there?");
            }

            var connection = new Connection(socket);
            connection.Reader = ReadLoopAsync(connection);
            _connection = connection;
            return connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task ReadLoopAsync(Connection connection)
    {
        var reason = "the host closed it";
        var goneAway = false;
        try
        {
            var input = connection.Input;
            while (!goneAway)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (TcpFraming.TryReadFrame(ref buffer, MaxResponseBytes, out var payload))
                    {
                        var envelope = TcpFraming.ParseEnvelope(payload);
                        if (envelope.BodyCase == Envelope.BodyOneofCase.GoAway)
                        {
                            goneAway = true;
                            reason = envelope.GoAway.Reason;
                            break;
                        }

                        if (envelope.CallResponse?.OutcomeCase != CallResponse.OutcomeOneofCase.Item)
                        {
                            // An answer, or a stream's end: nothing more comes for this id.
                            connection.Unanswered.TryRemove(envelope.Id, out _);
                        }

                        await DeliverAsync(envelope).ConfigureAwait(false);
                    }

                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidProtocolBufferException or FrameTooLargeException or ObjectDisposedException or OperationCanceledException)
        {
            reason = ex.Message;
        }

        await DropAsync(connection, reason, goneAway).ConfigureAwait(false);
    }

    private async Task DropAsync(Connection connection, string reason, bool goneAway = false)
    {
        if (!connection.MarkClosed())
        {
            return;
        }

        // Only the calls sent on this connection: a call made since may already be on the next one.
        var message = $"the connection to {Address} closed: {reason}";
        Fail(connection.Unanswered.Keys, goneAway ? new NotRunException(message) : new ModulusException(StatusCode.Unavailable, message));
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Connection : IAsyncDisposable
    {
        private const int SegmentBytes = 64 * 1024;

        private readonly NetworkStream _stream;
        private int _closed;

        public Connection(Socket socket)
        {
            _stream = new NetworkStream(socket, ownsSocket: true);
            // Large segments: a tensor's bytes go to the socket in 64 KB writes rather than 4 KB ones
            // (a 16 MB tensor was 4,096 send calls and as many pooled buffers, most of them allocated anew).
            Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: SegmentBytes, minimumReadSize: SegmentBytes / 4, leaveOpen: true));
            Writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 1024 * 1024, leaveOpen: true));
        }

        public PipeReader Input { get; }

        public PipeWriter Writer { get; }

        public Task? Reader { get; set; }

        /// <summary>The ids of the calls and streams sent on this connection and not yet answered or ended.</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<ulong, byte> Unanswered { get; } = new();

        public bool IsOpen => Volatile.Read(ref _closed) == 0;

        public bool MarkClosed() => Interlocked.Exchange(ref _closed, 1) == 0;

        public async ValueTask DisposeAsync()
        {
            MarkClosed();
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
