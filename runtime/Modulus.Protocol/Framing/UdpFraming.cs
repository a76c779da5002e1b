using Google.Protobuf;
using Modulus.Protocol.V1;
using Modulus.Sdk;

namespace Modulus.Protocol.Framing;

/// <summary>UDP framing: one <see cref="Envelope"/> per datagram, nothing else.</summary>
public static class UdpFraming
{
    /// <summary>The largest UDP payload over IPv4 (65,535 less the IP and UDP headers).</summary>
    public const int MaxDatagramBytes = 65_507;

    /// <summary>The error for a message too large for a datagram; it names the transports that can carry it.</summary>
    public static ModulusException TooLarge(string what, int bytes) => new(
        StatusCode.ResourceExhausted,
        $"the {what} is {bytes} bytes, over UDP's {MaxDatagramBytes}-byte datagram limit; call over tcp:// or grpc:// instead");

    /// <summary>Serializes an envelope into a datagram.</summary>
    public static byte[] ToDatagram(Envelope envelope) => envelope.ToByteArray();

    /// <summary>Reads a datagram as an envelope.</summary>
    /// <exception cref="InvalidProtocolBufferException">The datagram is not an envelope.</exception>
    public static Envelope Parse(ReadOnlySpan<byte> datagram) => Envelope.Parser.ParseFrom(datagram);
}
