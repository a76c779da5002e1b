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

    protected ModulusAddress Address { get; } = address;

    public async Task<CallResponse> CallAsync(CallRequest request, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        var response = await ExchangeAsync(new Envelope { CallRequest = request }, deadlineUtc, cancellationToken).ConfigureAwait(false);
        return response.BodyCase == Envelope.BodyOneofCase.CallResponse ? response.CallResponse : throw Unexpected(response);
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

    /// <summary>Fails every call waiting for an answer (the connection is gone).</summary>
    protected void FailAll(ModulusException error)
    {
        foreach (var id in _pending.Keys)
        {
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
            var remaining = deadlineUtc - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new ModulusException(StatusCode.DeadlineExceeded, "the call's deadline passed before it was sent");
            }

            await SendAsync(request, waiter.Task, deadlineUtc, cancellationToken).ConfigureAwait(false);
            return await waiter.Task.WaitAsync(deadlineUtc - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
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

    private ModulusException Unexpected(Envelope response) => response.BodyCase == Envelope.BodyOneofCase.Error
        ? new ModulusException((StatusCode)response.Error.Code, response.Error.Message)
        : new ModulusException(StatusCode.Internal, $"{Address} answered with {response.BodyCase}, which does not answer the request");
}
