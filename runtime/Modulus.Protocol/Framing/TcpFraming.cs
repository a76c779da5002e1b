using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Modulus.Protocol.V1;

namespace Modulus.Protocol.Framing;

/// <summary>
/// TCP framing: a 4-byte big-endian length, then that many bytes of an <see cref="Envelope"/>.
/// Pure functions over buffers; the length is checked against the limit before anything is allocated.
/// </summary>
public static class TcpFraming
{
    /// <summary>The size of the length prefix.</summary>
    public const int HeaderSize = 4;

    /// <summary>
    /// Takes one whole frame's payload off the front of <paramref name="buffer"/>, if a whole frame is there.
    /// </summary>
    /// <returns>False when more bytes are needed; <paramref name="buffer"/> is then unchanged.</returns>
    /// <exception cref="FrameTooLargeException">The length prefix exceeds <paramref name="maxFrameBytes"/>.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > (uint)maxFrameBytes)
        {
            throw new FrameTooLargeException(length, maxFrameBytes);
        }

        if (buffer.Length - HeaderSize < length)
        {
            return false;
        }

        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Reads an envelope from a frame's payload.</summary>
    /// <exception cref="InvalidProtocolBufferException">The payload is not an envelope.</exception>
    public static Envelope ParseEnvelope(ReadOnlySequence<byte> payload)
    {
        try
        {
            return Envelope.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex) when (EnvelopeReader.IsTooDeep(ex))
        {
            // Values may nest 64 levels, deeper than protobuf's default limit reads.
            return EnvelopeReader.ParseDeep(payload.ToArray());
        }
    }

    /// <summary>Writes a message as one frame.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, IMessage message)
    {
        var size = message.CalculateSize();
        BinaryPrimitives.WriteUInt32BigEndian(writer.GetSpan(HeaderSize), (uint)size);
        writer.Advance(HeaderSize);
        message.WriteTo(writer);
    }
}

/// <summary>A frame's length prefix is over the limit: the connection cannot be read further.</summary>
public sealed class FrameTooLargeException(uint length, int limit)
    : Exception($"a frame of {length} bytes is over the {limit}-byte limit")
{
    public uint Length { get; } = length;

    public int Limit { get; } = limit;
}
