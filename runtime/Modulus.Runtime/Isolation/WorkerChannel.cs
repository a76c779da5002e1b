using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;
using Modulus.Protocol.Worker;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// One end of the link between a host and a worker: length-prefixed <see cref="WorkerMessage"/>s
/// over a Unix domain socket, read and written with blocking calls. Each end reads on threads of its
/// own (a thread blocked in a receive is woken by the kernel itself, one wake-up per message), and a
/// send is written on the sender's thread under a lock: no hand-off to a pool on either side.
/// </summary>
internal sealed class WorkerChannel : IDisposable
{
    /// <summary>The largest message either side accepts: a request or a result of up to 1 GiB plus framing.</summary>
    public const int MaxMessageBytes = (1 << 30) + (1 << 20);

    private const int RecursionLimit = (2 * Protocol.ValueMapper.MaxDepth) + 16;
    private const int SmallBuffer = 64 * 1024;
    private const int KeptBuffer = 64 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly Lock _sendGate = new();
    private byte[] _buffer = new byte[SmallBuffer];
    private int _start;
    private int _end;
    private volatile bool _closed;

    public WorkerChannel(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>Writes a message on the calling thread; false when the link is closed.</summary>
    public bool TrySend(WorkerMessage message)
    {
        if (_closed)
        {
            return false;
        }

        var size = message.CalculateSize();
        var frame = ArrayPool<byte>.Shared.Rent(size + 4);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)size);
            message.WriteTo(frame.AsSpan(4, size));
            lock (_sendGate)
            {
                var sent = 0;
                while (sent < size + 4)
                {
                    sent += _socket.Send(frame, sent, size + 4 - sent, SocketFlags.None);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _closed = true;
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Blocks until the next message; null at the end of the stream. One reader at a time.</summary>
    /// <exception cref="InvalidDataException">The peer sent a frame that is too large or not a message.</exception>
    /// <exception cref="SocketException">The link failed.</exception>
    public WorkerMessage? Receive()
    {
        while (true)
        {
            var available = _end - _start;
            if (available >= 4)
            {
                var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start, 4));
                if (length > MaxMessageBytes)
                {
                    throw new InvalidDataException($"a worker message of {length} bytes is over the limit of {MaxMessageBytes}");
                }

                if (available - 4 >= length)
                {
                    var message = Parse(_buffer.AsSpan(_start + 4, (int)length));
                    _start += 4 + (int)length;
                    if (_start == _end)
                    {
                        _start = _end = 0;
                        if (_buffer.Length > KeptBuffer)
                        {
                            // A very large message came and went: give its buffer back. Smaller
                            // large buffers are kept, for the next tensor of the same size.
                            _buffer = new byte[SmallBuffer];
                        }
                    }

                    return message;
                }

                MakeRoom(4 + (int)length);
            }
            else
            {
                MakeRoom(4);
            }

            int read;
            try
            {
                read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _end += read;
        }
    }

    /// <summary>Stops sending; the peer sees the end of the stream once what was sent is read.</summary>
    public void Complete()
    {
        _closed = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer is gone already.
        }
    }

    public void Dispose()
    {
        _closed = true;
        _socket.Dispose();
    }

    /// <summary>Makes the buffer hold <paramref name="frame"/> bytes from the start of the unread data.</summary>
    private void MakeRoom(int frame)
    {
        if (_buffer.Length - _start >= frame && _end < _buffer.Length)
        {
            return;
        }

        var unread = _end - _start;
        var target = _buffer.Length >= frame ? _buffer : GC.AllocateUninitializedArray<byte>(Math.Max(frame, _buffer.Length * 2));
        Buffer.BlockCopy(_buffer, _start, target, 0, unread);
        _buffer = target;
        _start = 0;
        _end = unread;
    }

    private static WorkerMessage Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            return WorkerMessage.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex) when (ex.Message.Contains("levels of nesting", StringComparison.Ordinal))
        {
            // Values nest at most 64 levels (both ends check before sending); each is two protobuf
            // levels, deeper than protobuf's default limit reads.
            try
            {
                var message = new WorkerMessage();
                message.MergeFrom(CodedInputStream.CreateWithLimits(new MemoryStream(payload.ToArray(), writable: false), MaxMessageBytes, RecursionLimit));
                return message;
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
    }
}
