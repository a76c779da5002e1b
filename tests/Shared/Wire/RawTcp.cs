using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Google.Protobuf;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Testing;

/// <summary>Frames by hand over a bare socket, to send what no client would.</summary>
internal static class RawTcp
{
    public static byte[] Frame(IMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        TcpFraming.WriteFrame(writer, message);
        return writer.WrittenSpan.ToArray();
    }

    public static byte[] Frame(byte[] payload)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }

    /// <summary>Reads one framed envelope; throws when the connection closes or nothing comes in time.</summary>
    public static async Task<Envelope> ReadEnvelopeAsync(Socket socket, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        return await ReadEnvelopeAsync(socket, timeout.Token);
    }

    /// <summary>Reads one framed envelope; throws when the connection closes or <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task<Envelope> ReadEnvelopeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await ReadExactlyAsync(socket, header, cancellationToken);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await ReadExactlyAsync(socket, payload, cancellationToken);
        return TcpFraming.ParseEnvelope(new ReadOnlySequence<byte>(payload));
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("the peer closed the connection");
            }

            buffer = buffer[read..];
        }
    }
}
