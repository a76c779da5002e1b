using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Hosting.Transports.Tcp;

/// <summary>
/// The raw TCP transport as a Kestrel connection handler: Kestrel owns the sockets, limits and
/// shutdown; this owns the protocol. Many calls are in flight on one connection, answered by id in
/// whatever order they finish. A connection that breaks the protocol (a frame over the limit, bytes
/// that are not an envelope, a frame that never finishes) is closed with a logged reason, and so is
/// one that stays silent with no call in flight for the idle timeout.
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
        using var timer = new ReadDeadline(connection.Transport.Input);
        var inFlight = new List<Task>();
        // The streamed calls in flight, by id, so that a CancelRequest can stop one.
        var streams = new System.Collections.Concurrent.ConcurrentDictionary<ulong, CancellationTokenSource>();
        var input = connection.Transport.Input;
        var partialFrame = false;
        // A timer that fired just after its read returned cancels the next read instead: ignore that one.
        var staleCancel = false;
        var peer = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address.ToString();
        try
        {
            while (true)
            {
                // A frame that has begun must finish within the frame timeout; between frames, a
                // connection with no call in flight may stay silent for the idle timeout.
                timer.Arm(partialFrame ? settings.FrameTimeout : settings.IdleTimeout);
                var result = await input.ReadAsync(closed).ConfigureAwait(false);
                if (timer.Disarm())
                {
                    staleCancel = !result.IsCanceled;
                }
                else if (result.IsCanceled && staleCancel)
                {
                    staleCancel = false;
                    input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    continue;
                }

                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (partialFrame)
                    {
                        HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), $"a frame did not finish within {settings.FrameTimeout.TotalSeconds:0.###} s");
                        break;
                    }

                    if (inFlight.Exists(t => !t.IsCompleted))
                    {
                        continue;
                    }

                    HostingLog.TcpConnectionIdle(logger, connection.RemoteEndPoint?.ToString(), settings.IdleTimeout.TotalSeconds);
                    // A request the caller sent just now sits unread: the go-away tells it that
                    // request never ran, so it can send it again rather than fail.
                    await responses.Writer.WriteAsync(GoAway($"the connection was idle for {settings.IdleTimeout.TotalSeconds:0.###} s with no call in flight"), closed).ConfigureAwait(false);
                    break;
                }

                var tooLarge = false;
                try
                {
                    Envelope? tooLargeAnswer;
                    while (TryReadFrame(ref buffer, settings.MaxRequestBytes, out var payload, out tooLargeAnswer))
                    {
                        if (dispatcher.RefuseOversized(payload, inEnvelope: true) is { } oversized)
                        {
                            // Over its module's own limit: answered without reading its values.
                            await responses.Writer.WriteAsync(new Envelope { Id = EnvelopeReader.ReadId(payload), Error = new Error { Code = (int)oversized.Code, Message = oversized.Message } }, closed).ConfigureAwait(false);
                            continue;
                        }

                        var read = EnvelopeReader.Read(payload);
                        if (read.Error is { } refused)
                        {
                            // A whole frame that breaks a value rule: refuse that request, keep the connection.
                            await responses.Writer.WriteAsync(new Envelope { Id = read.Id, Error = new Error { Code = (int)refused.Code, Message = refused.Message } }, closed).ConfigureAwait(false);
                            continue;
                        }

                        if (read.Envelope!.BodyCase == Envelope.BodyOneofCase.CancelRequest)
                        {
                            // Read before waiting for a slot: a caller whose streams fill every slot can still stop one.
                            if (streams.TryGetValue(read.Envelope.Id, out var stopping))
                            {
                                stopping.Cancel();
                            }

                            continue;
                        }

                        await slots.WaitAsync(closed).ConfigureAwait(false);
                        inFlight.RemoveAll(t => t.IsCompleted);
                        inFlight.Add(AnswerAsync(read.Envelope!, peer, responses.Writer, slots, streams, closed));
                    }

                    if (tooLargeAnswer is not null)
                    {
                        // The stream cannot be read past a frame it will not take: answer, then close.
                        tooLarge = true;
                        HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), tooLargeAnswer.Error.Message);
                        await responses.Writer.WriteAsync(tooLargeAnswer, closed).ConfigureAwait(false);
                    }

                    partialFrame = !buffer.IsEmpty;
                    if (tooLarge)
                    {
                        break;
                    }

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
        catch (InvalidProtocolBufferException ex)
        {
            HostingLog.TcpConnectionDropped(logger, connection.RemoteEndPoint?.ToString(), $"a frame is not a modulus.v1.Envelope ({ex.Message})");
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

    /// <summary>
    /// Says goodbye on a connection the host closes before reading anything from it (over the
    /// connection budget, silent since it opened), so that a caller whose request was on its way
    /// knows it never ran. Best effort: a peer that is gone or not reading misses it.
    /// </summary>
    public static async ValueTask GoAwayAsync(ConnectionContext connection, string reason)
    {
        try
        {
            TcpFraming.WriteFrame(connection.Transport.Output, GoAway(reason));
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await connection.Transport.Output.FlushAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or ConnectionResetException)
        {
            // The peer is gone or not reading; it learns of the close from the socket.
        }
    }

    private static Envelope GoAway(string reason) => new() { Id = 0, GoAway = new GoAway { Reason = reason } };

    /// <summary>
    /// <see cref="TcpFraming.TryReadFrame"/>, but a frame over the limit gives the RESOURCE_EXHAUSTED
    /// answer to send (with the request's id when its first bytes have arrived, else 0) instead of throwing.
    /// </summary>
    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> payload, out Envelope? tooLarge)
    {
        tooLarge = null;
        try
        {
            return TcpFraming.TryReadFrame(ref buffer, maxFrameBytes, out payload);
        }
        catch (FrameTooLargeException ex)
        {
            payload = default;
            var id = EnvelopeReader.ReadId(buffer.Slice(TcpFraming.HeaderSize));
            tooLarge = new Envelope
            {
                Id = id,
                Error = new Error
                {
                    Code = (int)Sdk.StatusCode.ResourceExhausted,
                    Message = $"{ex.Message} (Modulus:MaxRequestBytes); send less per call, or ask the host to raise its limit",
                },
            };
            return false;
        }
    }

    private async Task AnswerAsync(Envelope request, string? peer, ChannelWriter<Envelope> responses, SemaphoreSlim slots, System.Collections.Concurrent.ConcurrentDictionary<ulong, CancellationTokenSource> streams, CancellationToken closed)
    {
        try
        {
            if (request.CallRequest is { Stream: true } call)
            {
                // A streamed answer: a frame per item with the call's id, then its end (or error)
                // frame. The bounded response queue is the back-pressure on the module (and, on
                // one connection, on the calls that share it).
                call.Id = request.Id;
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(closed);
                if (!streams.TryAdd(request.Id, stop))
                {
                    await responses.WriteAsync(new Envelope { Id = request.Id, CallResponse = CallMapper.Failure(request.Id, Sdk.StatusCode.InvalidArgument, $"a call with id {request.Id} is already streaming on this connection; give each call its own id") }, closed).ConfigureAwait(false);
                    return;
                }

                try
                {
                    var end = await dispatcher.StreamAsync(
                        call,
                        peer,
                        (item, ct) => responses.WriteAsync(new Envelope { Id = request.Id, CallResponse = CallMapper.Item(request.Id, item) }, ct),
                        stop.Token).ConfigureAwait(false);
                    if (!stop.IsCancellationRequested)
                    {
                        await responses.WriteAsync(new Envelope { Id = request.Id, CallResponse = end }, closed).ConfigureAwait(false);
                    }
                }
                finally
                {
                    streams.TryRemove(request.Id, out _);
                }

                return;
            }

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

    /// <summary>
    /// A timer that cancels the pending read when it fires (the read then returns
    /// <see cref="ReadResult.IsCanceled"/>, and the pipe stays usable): one timer per connection,
    /// re-armed per read, so the idle and frame timeouts cost no allocation per read.
    /// </summary>
    private sealed class ReadDeadline : IDisposable
    {
        private readonly Timer _timer;
        private int _fired;
        private int _armedAt;

        public ReadDeadline(PipeReader input) => _timer = new Timer(
            static state =>
            {
                var (deadline, reader) = ((ReadDeadline, PipeReader))state!;
                Interlocked.Increment(ref deadline._fired);
                reader.CancelPendingRead();
            },
            (this, input),
            Timeout.Infinite,
            Timeout.Infinite);

        public void Arm(TimeSpan timeout)
        {
            _armedAt = Volatile.Read(ref _fired);
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }

        /// <summary>Stops the timer; true when it fired since it was armed.</summary>
        public bool Disarm()
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            return Volatile.Read(ref _fired) != _armedAt;
        }

        public void Dispose() => _timer.Dispose();
    }
}
