using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Hosting.Transports.Tcp;

/// <summary>
/// The raw TCP transport as a Kestrel connection handler: Kestrel owns the sockets, limits and
/// shutdown; this owns the protocol. Many calls are in flight on one connection, answered by id in
/// whatever order they finish. A connection that breaks the protocol (a frame over the limit, bytes
/// that are not an envelope, a frame that never finishes) is closed with a logged reason.
/// </summary>
internal sealed class TcpConnectionHandler(CallDispatcher dispatcher, IOptions<ModulusServerOptions> options, ILogger<TcpConnectionHandler> logger) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var settings = options.Value;
        var closed = connection.ConnectionClosed;
        var responses = Channel.CreateBounded<Envelope>(new BoundedChannelOptions(settings.MaxCallsPerConnection) { SingleReader = true });
        var writer = WriteResponsesAsync(responses.Reader, connection.Transport.Output, closed);
        using var slots = new SemaphoreSlim(settings.MaxCallsPerConnection);
        using var frameTimer = new CancellationTokenSource();
        var inFlight = new List<Task>();
        var input = connection.Transport.Input;
        var partialFrame = false;
        var peer = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address.ToString();
        try
        {
            while (true)
            {
                ReadResult result;
                if (partialFrame)
                {
                    // A frame has begun: the rest must come within the frame timeout.
                    frameTimer.CancelAfter(settings.FrameTimeout);
                    using var both = CancellationTokenSource.CreateLinkedTokenSource(frameTimer.Token, closed);
                    result = await input.ReadAsync(both.Token).ConfigureAwait(false);
                    frameTimer.TryReset();
                }
                else
                {
                    result = await input.ReadAsync(closed).ConfigureAwait(false);
                }

                var buffer = result.Buffer;
                try
                {
                    while (TcpFraming.TryReadFrame(ref buffer, settings.MaxRequestBytes, out var payload))
                    {
                        var request = TcpFraming.ParseEnvelope(payload);
                        await slots.WaitAsync(closed).ConfigureAwait(false);
                        inFlight.RemoveAll(t => t.IsCompleted);
                        inFlight.Add(AnswerAsync(request, peer, responses.Writer, slots, closed));
                    }

                    partialFrame = !buffer.IsEmpty;
                    if (result.IsCompleted)
                    {
                        if (partialFrame)
                        {
                            HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), "it closed in the middle of a frame");
                        }

                        break;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
        catch (FrameTooLargeException ex)
        {
            HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), ex.Message);
        }
        catch (InvalidProtocolBufferException ex)
        {
            HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), $"a frame is not a modulus.v1.Envelope ({ex.Message})");
        }
        catch (OperationCanceledException) when (frameTimer.IsCancellationRequested && !closed.IsCancellationRequested)
        {
            HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), $"a frame did not finish within {settings.FrameTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            // The peer went away.
        }
        finally
        {
            responses.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    private async Task AnswerAsync(Envelope request, string? peer, ChannelWriter<Envelope> responses, SemaphoreSlim slots, CancellationToken closed)
    {
        try
        {
            var response = await dispatcher.AnswerAsync(request, peer, closed).ConfigureAwait(false);
            await responses.WriteAsync(response, closed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The connection closed before the answer was ready.
        }
        finally
        {
            slots.Release();
        }
    }

    private static async Task WriteResponsesAsync(ChannelReader<Envelope> responses, PipeWriter output, CancellationToken closed)
    {
        try
        {
            while (await responses.WaitToReadAsync(closed).ConfigureAwait(false))
            {
                // Write every response that is ready, then flush once: pipelined callers get batched writes.
                while (responses.TryRead(out var response))
                {
                    TcpFraming.WriteFrame(output, response);
                }

                var flushed = await output.FlushAsync(closed).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The connection is gone; the responses have nowhere to go.
        }
        finally
        {
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
