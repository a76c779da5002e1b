using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// The floor for large payloads: a bare loopback TCP stream that sends N bytes and waits for an
/// 8-byte reply, as a call with a large request and a small answer would, with no framing or parsing.
/// </summary>
internal static class StreamFloor
{
    /// <summary>The mean time of one send-and-reply, in µs.</summary>
    public static double Measure(int bytes, int rounds)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect((IPEndPoint)listener.LocalEndPoint!);
        using var server = listener.Accept();
        server.NoDelay = true;
        var reader = new Thread(() =>
        {
            var buffer = new byte[1 << 20];
            for (var round = 0; round < rounds + 2; round++)
            {
                var left = bytes;
                while (left > 0)
                {
                    left -= server.Receive(buffer, 0, Math.Min(buffer.Length, left), SocketFlags.None);
                }

                server.Send(new byte[8]);
            }
        }) { IsBackground = true };
        reader.Start();
        var payload = new byte[bytes];
        var reply = new byte[8];
        var stopwatch = new Stopwatch();
        for (var round = 0; round < rounds + 2; round++)
        {
            if (round == 2)
            {
                stopwatch.Start(); // two warm-up rounds
            }

            client.Send(payload);
            var got = 0;
            while (got < reply.Length)
            {
                got += client.Receive(reply, got, reply.Length - got, SocketFlags.None);
            }
        }

        stopwatch.Stop();
        reader.Join();
        return stopwatch.Elapsed.TotalMicroseconds / rounds;
    }
}
