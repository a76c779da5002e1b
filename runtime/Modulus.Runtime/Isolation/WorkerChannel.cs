using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Threading.Channels;
using Google.Protobuf;
using Modulus.Protocol.Worker;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// One end of the link between a host and a worker: length-prefixed <see cref="WorkerMessage"/>s
/// over a stream (a Unix domain socket). Sends from any thread go through one writer loop, which
/// writes everything queued and then flushes once, so concurrent calls share system calls; when the
/// link is idle the loop runs on the sender's thread.
/// </summary>
internal sealed class WorkerChannel : IAsyncDisposable
{
    /// <summary>The largest message either side accepts: a request or a result of up to 1 GiB plus framing.</summary>
    public const int MaxMessageBytes = (1 << 30) + (1 << 20);

    private const int RecursionLimit = (2 * Protocol.ValueMapper.MaxDepth) + 16;

    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    // Synchronous continuations: a send to an idle link is written and flushed on the sender's own
    // thread, not after a hop to the pool (a hop costs more than the write on a busy machine).
    private readonly Channel<WorkerMessage> _outgoing = Channel.CreateUnbounded<WorkerMessage>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Task _writer;

    public WorkerChannel(Stream stream)
    {
        _stream = stream;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 256 * 1024));
        _writer = WriteLoopAsync();
    }

    /// <summary>Completes when the writer stops: the channel was closed or the peer went away.</summary>
    public Task Completion => _writer;

    /// <summary>Queues a message; false when the channel is closed.</summary>
    public bool TrySend(WorkerMessage message) => _outgoing.Writer.TryWrite(message);

    /// <summary>Reads the next message; null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">The peer sent a frame that is too large or not a message.</exception>
    public async ValueTask<WorkerMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryReadFrame(ref buffer, out var message))
            {
                _input.AdvanceTo(buffer.Start);
                return message;
            }

            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                return null;
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Stops sending after what is queued; the peer sees the end of the stream.</summary>
    public void Complete() => _outgoing.Writer.TryComplete();

    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is gone; nothing more to say to it.
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out WorkerMessage? message)
    {
        message = null;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > MaxMessageBytes)
        {
            throw new InvalidDataException($"a worker message of {length} bytes is over the limit of {MaxMessageBytes}");
        }

        if (buffer.Length - 4 < length)
        {
            return false;
        }

        var payload = buffer.Slice(4, length);
        try
        {
            message = WorkerMessage.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex) when (ex.Message.Contains("levels of nesting", StringComparison.Ordinal))
        {
            // Values nest at most 64 levels (both ends check before sending); each is two protobuf
            // levels, deeper than protobuf's default limit reads.
            try
            {
                var bytes = payload.ToArray();
                message = new WorkerMessage();
                message.MergeFrom(CodedInputStream.CreateWithLimits(new MemoryStream(bytes, writable: false), MaxMessageBytes, RecursionLimit));
            }
            catch (InvalidProtocolBufferException deep)
            {
                throw new InvalidDataException($"a worker message could not be read: {deep.Message}", deep);
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"a worker message could not be read: {ex.Message}", ex);
        }

        buffer = buffer.Slice(payload.End);
        return true;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    var size = message.CalculateSize();
                    var header = _output.GetSpan(4);
                    BinaryPrimitives.WriteUInt32BigEndian(header, (uint)size);
                    _output.Advance(4);
                    message.WriteTo(_output);
                }

                var flushed = await _output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            _outgoing.Writer.TryComplete();
            await _output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
