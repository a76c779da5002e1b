using System.Security.Cryptography;
using Google.Protobuf;
using Modulus.Protocol.V1;
using Modulus.Sdk;

namespace Modulus.Protocol.Framing;

/// <summary>UDP framing: one <see cref="Envelope"/> per datagram, nothing else.</summary>
public static class UdpFraming
{
    /// <summary>The largest UDP payload over IPv4 (65,535 less the IP and UDP headers).</summary>
    public const int MaxDatagramBytes = 65_507;

    /// <summary>
    /// A host never sends a source more than this many times the bytes of the datagram it answers:
    /// a spoofed source address cannot turn the host into an amplifier.
    /// </summary>
    public const int AmplificationLimit = 3;

    /// <summary>What clients pad every request to (QUIC's 1,200): answers up to 3,600 bytes come back at once.</summary>
    public const int MinRequestBytes = 1200;

    /// <summary>The error for a message too large for a datagram; it names the transports that can carry it.</summary>
    public static ModulusException TooLarge(string what, int bytes) => new(
        StatusCode.ResourceExhausted,
        $"the {what} is {bytes} bytes, over UDP's {MaxDatagramBytes}-byte datagram limit; call over tcp:// or grpc:// instead");

    /// <summary>Serializes an envelope into a datagram.</summary>
    public static byte[] ToDatagram(Envelope envelope) => envelope.ToByteArray();

    /// <summary>Serializes an envelope into a datagram of at least <paramref name="minBytes"/> (within the datagram limit), padding it with <see cref="Envelope.Padding"/>.</summary>
    public static byte[] ToPaddedDatagram(Envelope envelope, int minBytes)
    {
        envelope.Padding = ByteString.Empty;
        var size = envelope.CalculateSize();
        var target = Math.Min(minBytes, MaxDatagramBytes);
        if (size >= target)
        {
            return envelope.ToByteArray();
        }

        // The padding field costs its tag (1 byte) and length prefix beside its bytes.
        var padding = target - size - 1 - CodedOutputStream.ComputeLengthSize(target - size);
        envelope.Padding = UnsafeByteOperations.UnsafeWrap(new byte[Math.Max(padding, 0)]);
        while (envelope.CalculateSize() < target)
        {
            envelope.Padding = UnsafeByteOperations.UnsafeWrap(new byte[envelope.Padding.Length + 1]);
        }

        return envelope.ToByteArray();
    }

    /// <summary>
    /// A hash of what a request asks (its padding left out): a host keys its replay cache on it, so
    /// that a reused id with other content runs as a new call and a spoofed datagram cannot plant
    /// the answer a victim's request will receive.
    /// </summary>
    public static UInt128 ContentHash(Envelope request)
    {
        var padding = request.Padding;
        request.Padding = ByteString.Empty;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(request.ToByteArray(), hash);
        request.Padding = padding;
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    /// <summary>
    /// The answer to send for a datagram of <paramref name="requestBytes"/> when the real answer is
    /// larger than <see cref="AmplificationLimit"/> times it: a short error asking for padding, or null
    /// when even that would be too large (the request is then dropped unanswered).
    /// </summary>
    public static byte[]? PadRequest(ulong id, int requestBytes, int answerBytes)
    {
        var padTo = (answerBytes + AmplificationLimit - 1) / AmplificationLimit;
        var envelope = new Envelope
        {
            Id = id,
            PadTo = (uint)padTo,
            Error = new Error
            {
                Code = (int)StatusCode.FailedPrecondition,
                Message = $"the request ({requestBytes} B) is smaller than its answer could be: pad it to {padTo} bytes or use tcp://",
            },
        };
        var datagram = envelope.ToByteArray();
        return datagram.Length <= (long)requestBytes * AmplificationLimit ? datagram : null;
    }

    /// <summary>Reads a datagram as an envelope.</summary>
    /// <exception cref="InvalidProtocolBufferException">The datagram is not an envelope.</exception>
    public static Envelope Parse(ReadOnlySpan<byte> datagram)
    {
        try
        {
            return Envelope.Parser.ParseFrom(datagram);
        }
        catch (InvalidProtocolBufferException ex) when (EnvelopeReader.IsTooDeep(ex))
        {
            // Values may nest 64 levels, deeper than protobuf's default limit reads.
            return EnvelopeReader.ParseDeep(datagram.ToArray());
        }
    }
}
