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
        try
        {
            var input = connection.Input;
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (TcpFraming.TryReadFrame(ref buffer, MaxResponseBytes, out var payload))
                    {
                        await DeliverAsync(TcpFraming.ParseEnvelope(payload)).ConfigureAwait(false);
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

        await DropAsync(connection, reason).ConfigureAwait(false);
    }

    private async Task DropAsync(Connection connection, string reason)
    {
        if (!connection.MarkClosed())
        {
            return;
        }

        FailAll(new ModulusException(StatusCode.Unavailable, $"the connection to {Address} closed: {reason}"));
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

        public bool IsOpen => Volatile.Read(ref _closed) == 0;

        public bool MarkClosed() => Interlocked.Exchange(ref _closed, 1) == 0;

        public async ValueTask DisposeAsync()
        {
            MarkClosed();
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
