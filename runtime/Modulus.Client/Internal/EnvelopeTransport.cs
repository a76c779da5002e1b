using System.Collections.Concurrent;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Client.Internal;

/// <summary>
/// What the raw transports (TCP, UDP) share: every request is an envelope with a random id, and its answer is matched back by that id, whatever order answers arrive in.
/// </summary>
internal abstract class EnvelopeTransport(ModulusAddress address) : IModulusTransport
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Envelope>> _pending = new();
    private readonly ConcurrentDictionary<ulong, PendingStream> _streams = new();

    /// <summary>How many messages of one stream wait here for its reader before the connection's reading waits too.</summary>
    private const int StreamBuffer = 64;

    /// <summary>How often a request the host went away without running is sent, in all.</summary>
    private const int MaxAttempts = 3;

    protected ModulusAddress Address { get; } = address;

    public async Task<CallResponse> CallAsync(CallRequest request, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var response = await ExchangeAsync(new Envelope { CallRequest = request }, deadlineUtc, cancellationToken).ConfigureAwait(false);
        return response.BodyCase == Envelope.BodyOneofCase.CallResponse ? response.CallResponse : throw Unexpected(response);
    }

    public virtual async IAsyncEnumerable<CallResponse> StreamAsync(CallRequest request, DateTime deadlineUtc, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var envelope = new Envelope { CallRequest = request };
        var stream = new PendingStream(deadlineUtc);
        do
        {
            envelope.Id = NewId();
        }
        while (_pending.ContainsKey(envelope.Id) || !_streams.TryAdd(envelope.Id, stream));

        request.Id = envelope.Id;
        request.Stream = true;
        var ended = false;
        try
        {
            if (deadlineUtc <= DateTime.UtcNow)
            {
                throw new ModulusException(StatusCode.DeadlineExceeded, "the call's deadline passed before it was sent");
            }

            await SendAsync(envelope, stream.Ended, deadlineUtc, cancellationToken).ConfigureAwait(false);
            var attempts = 1;
            while (true)
            {
                CallResponse response;
                try
                {
                    response = await NextAsync(stream, cancellationToken).ConfigureAwait(false);
                }
                catch (NotRunException) when (attempts < MaxAttempts)
                {
                    // The host closed before reading the request (nothing was yielded, as a host
                    // that ran it would not have gone away): the same request, on a new connection.
                    attempts++;
                    stream.Dispose();
                    stream = new PendingStream(deadlineUtc);
                    _streams[envelope.Id] = stream;
                    await SendAsync(envelope, stream.Ended, deadlineUtc, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (NotRunException ex)
                {
                    throw GaveUp(ex);
                }

                if (response.OutcomeCase is CallResponse.OutcomeOneofCase.Error)
                {
                    ended = true;
                    throw new ModulusException((StatusCode)response.Error.Code, response.Error.Message);
                }

                if (response.OutcomeCase is not CallResponse.OutcomeOneofCase.Item)
                {
                    ended = true;
                    yield return response;
                    yield break;
                }

                yield return response;
            }
        }
        finally
        {
            _streams.TryRemove(envelope.Id, out _);
            stream.Dispose();
            if (!ended)
            {
                // The caller stopped reading (or the stream failed here): the host stops producing.
                await CancelAsync(envelope.Id).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Tells the host to stop the call with this id; best effort, never throws.</summary>
    protected virtual Task CancelAsync(ulong id) => Task.CompletedTask;

    private async Task<CallResponse> NextAsync(PendingStream stream, CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stream.Deadline);
        Envelope envelope;
        try
        {
            envelope = await stream.Messages.Reader.ReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException ex)
        {
            throw ex.InnerException as ModulusException ?? new ModulusException(StatusCode.Unavailable, $"the stream from {Address} ended without its end");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new ModulusException(StatusCode.Cancelled, "the call was cancelled");
        }
        catch (OperationCanceledException)
        {
            throw new ModulusException(StatusCode.DeadlineExceeded, $"the stream from {Address} did not end before the deadline");
        }

        return envelope.BodyCase == Envelope.BodyOneofCase.CallResponse ? envelope.CallResponse : throw Unexpected(envelope);
    }

    public async Task<ListModulesResponse> ListAsync(CancellationToken cancellationToken)
    {
        var response = await ExchangeAsync(new Envelope { ListRequest = new ListModulesRequest() }, DateTime.UtcNow.AddSeconds(30), cancellationToken).ConfigureAwait(false);
        return response.BodyCase == Envelope.BodyOneofCase.ListResponse ? response.ListResponse : throw Unexpected(response);
    }

    public async Task<Protocol.V1.ModuleInfo> InfoAsync(string module, CancellationToken cancellationToken)
    {
        var response = await ExchangeAsync(new Envelope { InfoRequest = new GetModuleInfoRequest { Module = module } }, DateTime.UtcNow.AddSeconds(30), cancellationToken).ConfigureAwait(false);
        return response.BodyCase == Envelope.BodyOneofCase.InfoResponse ? response.InfoResponse : throw Unexpected(response);
    }

    public async Task<HostInfo> HostInfoAsync(HostInfoRequest request, CancellationToken cancellationToken)
    {
        var response = await ExchangeAsync(new Envelope { HostRequest = request }, DateTime.UtcNow.AddSeconds(30), cancellationToken).ConfigureAwait(false);
        return response.BodyCase == Envelope.BodyOneofCase.HostResponse ? response.HostResponse : throw Unexpected(response);
    }

    public abstract ValueTask DisposeAsync();

    /// <summary>Sends the envelope (as often as the transport needs) until its answer arrives.</summary>
    protected abstract Task SendAsync(Envelope request, Task<Envelope> answered, DateTime deadlineUtc, CancellationToken cancellationToken);

    /// <summary>Hands an arriving envelope to the call waiting for it; a late or unknown answer is dropped.</summary>
    protected void Deliver(Envelope response)
    {
        if (_pending.TryRemove(response.Id, out var waiter))
        {
            waiter.TrySetResult(response);
        }
    }

    /// <summary>
    /// Hands an arriving envelope to the call or the stream waiting for it. A stream's messages wait
    /// in a small buffer; when its reader is slower than its host, this waits too (and with it the
    /// connection's other calls), until the stream's deadline, after which the stream is dropped.
    /// </summary>
    protected ValueTask DeliverAsync(Envelope response)
    {
        if (!_streams.TryGetValue(response.Id, out var stream))
        {
            Deliver(response);
            return ValueTask.CompletedTask;
        }

        return stream.Messages.Writer.TryWrite(response) ? ValueTask.CompletedTask : stream.WriteAsync(response);
    }

    /// <summary>Fails every call waiting for an answer (the connection is gone).</summary>
    protected void FailAll(ModulusException error) => Fail([.. _streams.Keys, .. _pending.Keys], error);

    /// <summary>Fails the calls and streams with these ids (those sent on a connection that is gone).</summary>
    protected void Fail(IEnumerable<ulong> ids, ModulusException error)
    {
        foreach (var id in ids)
        {
            if (_streams.TryGetValue(id, out var stream))
            {
                stream.Messages.Writer.TryComplete(error);
            }

            if (_pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetException(error);
            }
        }
    }

    private async Task<Envelope> ExchangeAsync(Envelope request, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        do
        {
            // Random 64-bit ids: a UDP host keys its replay cache by source and id, and an id nobody
            // can guess is one nobody can answer for in advance.
            request.Id = NewId();
        }
        while (!_pending.TryAdd(request.Id, waiter));

        if (request.CallRequest is { } call)
        {
            call.Id = request.Id;
        }

        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var remaining = deadlineUtc - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    throw new ModulusException(StatusCode.DeadlineExceeded, "the call's deadline passed before it was sent");
                }

                try
                {
                    await SendAsync(request, waiter.Task, deadlineUtc, cancellationToken).ConfigureAwait(false);
                    return await waiter.Task.WaitAsync(deadlineUtc - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                }
                catch (NotRunException) when (attempt < MaxAttempts)
                {
                    // The host went away before reading it (a go-away): it ran none of it, so the
                    // same request (same id, same signature) goes out again on a new connection.
                    waiter = new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _pending[request.Id] = waiter;
                }
                catch (NotRunException ex)
                {
                    throw GaveUp(ex);
                }
            }
        }
        catch (TimeoutException)
        {
            throw new ModulusException(StatusCode.DeadlineExceeded, $"no answer from {Address} before the deadline");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new ModulusException(StatusCode.Cancelled, "the call was cancelled");
        }
        finally
        {
            _pending.TryRemove(request.Id, out _);
        }
    }

    /// <summary>A random request id, never 0 (the id of an answer to a request that could not be read).</summary>
    private static ulong NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            id = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }
        while (id == 0);
        return id;
    }

    private static ModulusException GaveUp(NotRunException last) =>
        new(StatusCode.Unavailable, $"{last.Message}; the request was sent {MaxAttempts} times and never run", last);

    private ModulusException Unexpected(Envelope response) => response.BodyCase == Envelope.BodyOneofCase.Error
        ? new ModulusException((StatusCode)response.Error.Code, response.Error.Message)
        : new ModulusException(StatusCode.Internal, $"{Address} answered with {response.BodyCase}, which does not answer the request");

    /// <summary>A stream's messages on their way to its reader, and its deadline.</summary>
    private sealed class PendingStream : IDisposable
    {
        private readonly CancellationTokenSource _deadline = new();
        private readonly TaskCompletionSource<Envelope> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PendingStream(DateTime deadlineUtc)
        {
            var left = deadlineUtc - DateTime.UtcNow;
            _deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        public System.Threading.Channels.Channel<Envelope> Messages { get; } = System.Threading.Channels.Channel.CreateBounded<Envelope>(
            new System.Threading.Channels.BoundedChannelOptions(StreamBuffer) { SingleReader = true, SingleWriter = true });

        public CancellationToken Deadline => _deadline.Token;

        /// <summary>Ends (cancelled) when the stream is done with: nothing resends a stream's request while it runs.</summary>
        public Task<Envelope> Ended => _ended.Task;

        public async ValueTask WriteAsync(Envelope response)
        {
            try
            {
                await Messages.Writer.WriteAsync(response, _deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException or ObjectDisposedException)
            {
                // Its reader is gone or past its deadline: the message is dropped.
            }
        }

        public void Dispose()
        {
            Messages.Writer.TryComplete();
            _ended.TrySetCanceled();
            _deadline.Dispose();
        }
    }
}
