using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Client.Internal;

/// <summary>The gRPC transport: unary calls on one HTTP/2 channel.</summary>
internal sealed class GrpcTransport : IModulusTransport
{
    /// <summary>
    /// <c>Call</c> with an answer read as TCP's and UDP's are: values may nest 64 levels, deeper
    /// than the generated client's parser (protobuf's default, about 49 levels) reads.
    /// </summary>
    private static readonly Method<CallRequest, CallResponse> CallMethod = new(
        MethodType.Unary,
        ModuleService.Descriptor.FullName,
        "Call",
        Marshallers.Create<CallRequest>(
            (request, context) =>
            {
                context.SetPayloadLength(request.CalculateSize());
                request.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => CallRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Marshallers.Create<CallResponse>(
            response => response.ToByteArray(),
            EnvelopeReader.ParseDeep<CallResponse>));

    /// <summary><c>StreamCall</c>, its answers read as <see cref="CallMethod"/>'s are.</summary>
    private static readonly Method<CallRequest, CallResponse> StreamCallMethod = new(
        MethodType.ServerStreaming,
        ModuleService.Descriptor.FullName,
        "StreamCall",
        CallMethod.RequestMarshaller,
        CallMethod.ResponseMarshaller);

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
    private readonly ModuleService.ModuleServiceClient _client;
    private readonly ModulusAddress _address;

    public GrpcTransport(ModulusAddress address)
    {
        _address = address;
        _channel = GrpcChannel.ForAddress($"http://{(address.Host.Contains(':') ? $"[{address.Host}]" : address.Host)}:{address.Port}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            },
        });
        _invoker = _channel.CreateCallInvoker();
        _client = new ModuleService.ModuleServiceClient(_invoker);
    }

    public async Task<CallResponse> CallAsync(CallRequest request, DateTime deadlineUtc, CancellationToken cancellationToken)
    {
        try
        {
            return await _invoker.AsyncUnaryCall(CallMethod, null, new CallOptions(deadline: deadlineUtc, cancellationToken: cancellationToken), request).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex);
        }
    }

    public async IAsyncEnumerable<CallResponse> StreamAsync(CallRequest request, DateTime deadlineUtc, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Disposing the call (leaving the loop early) resets the HTTP/2 stream: the host's call is cancelled.
        using var call = _invoker.AsyncServerStreamingCall(StreamCallMethod, null, new CallOptions(deadline: deadlineUtc, cancellationToken: cancellationToken), request);
        ulong items = 0;
        while (await NextAsync(call.ResponseStream, cancellationToken).ConfigureAwait(false))
        {
            items++;
            yield return call.ResponseStream.Current;
        }

        // gRPC ends a stream with its status rather than a message: OK is the end.
        yield return Protocol.CallMapper.End(request.Id, items);
    }

    private async Task<bool> NextAsync(IAsyncStreamReader<CallResponse> responses, CancellationToken cancellationToken)
    {
        try
        {
            return await responses.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex);
        }
    }

    public async Task<ListModulesResponse> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _client.ListModulesAsync(new ListModulesRequest(), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex);
        }
    }

    public async Task<Protocol.V1.ModuleInfo> InfoAsync(string module, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetModuleInfoAsync(new GetModuleInfoRequest { Module = module }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex);
        }
    }

    public async Task<HostInfo> HostInfoAsync(HostInfoRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetHostInfoAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private ModulusException Translate(RpcException ex)
    {
        var code = (StatusCode)(int)ex.StatusCode;
        if (code == StatusCode.Unavailable && ex.Status.DebugException is { } inner)
        {
            return new ModulusException(code, $"cannot reach {_address}: {Innermost(inner).Message}; is `modulus serve` running there?", ex);
        }

        var message = string.IsNullOrEmpty(ex.Status.Detail) ? ex.StatusCode.ToString() : ex.Status.Detail;
        return new ModulusException(code, message, ex);
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is null ? ex : Innermost(ex.InnerException);
}
