using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using Modulus.Sdk;

namespace Modulus.Hosting.Transports.Grpc;

/// <summary>The <c>modulus.v1.ModuleService</c>: calls, streams of calls, list and info.</summary>
internal sealed class ModuleGrpcService(
    CallDispatcher dispatcher,
    IOptions<ModulusServerOptions> options,
    ILogger<ModuleGrpcService> logger) : ModuleServiceEndpoints
{
    public override async Task<CallResponse> Call(CallRequestRead request, ServerCallContext context)
    {
        request = Read(request);
        if (request.Error is { } refused)
        {
            throw StatusTranslation.ToRpcException(refused);
        }

        var response = await dispatcher.CallAsync(request.Request!, PeerAddress(context), context.CancellationToken).ConfigureAwait(false);
        return response.OutcomeCase == CallResponse.OutcomeOneofCase.Error
            ? throw StatusTranslation.ToRpcException(new ModulusException((Sdk.StatusCode)response.Error.Code, response.Error.Message))
            : response;
    }

    /// <summary>A large request is checked against its module's own size limit, then read (see <see cref="CallRequestRead.Unread"/>).</summary>
    private CallRequestRead Read(CallRequestRead request)
    {
        if (request.Unread is not { } bytes)
        {
            return request;
        }

        if (dispatcher.RefuseOversized(new System.Buffers.ReadOnlySequence<byte>(bytes), inEnvelope: false) is { } oversized)
        {
            return new CallRequestRead(null, request.Id, oversized);
        }

        try
        {
            return request.Complete();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new RpcException(new Status(global::Grpc.Core.StatusCode.InvalidArgument, "the message is not a modulus.v1.CallRequest"));
        }
    }

    public override async Task CallStream(IAsyncStreamReader<CallRequestRead> requestStream, IServerStreamWriter<CallResponse> responseStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        var limit = options.Value.MaxCallsPerConnection;
        // A stream writer takes one write at a time: responses queue here and one task writes them.
        var responses = Channel.CreateBounded<CallResponse>(new BoundedChannelOptions(limit) { SingleReader = true });
        var writer = WriteResponsesAsync(responses.Reader, responseStream, cancellation);
        using var slots = new SemaphoreSlim(limit);
        var inFlight = new List<Task>();
        try
        {
            await foreach (var received in requestStream.ReadAllAsync(cancellation).ConfigureAwait(false))
            {
                var request = Read(received);
                if (request.Error is { } refused)
                {
                    // A message that breaks a value rule: refuse that call, keep the stream.
                    await responses.Writer.WriteAsync(new CallResponse { Id = request.Id, Error = new Error { Code = (int)refused.Code, Message = refused.Message } }, cancellation).ConfigureAwait(false);
                    continue;
                }

                await slots.WaitAsync(cancellation).ConfigureAwait(false);
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(AnswerAsync(request.Request!, PeerAddress(context), responses.Writer, slots, cancellation));
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
        finally
        {
            responses.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    public override async Task StreamCall(CallRequestRead request, IServerStreamWriter<CallResponse> responseStream, ServerCallContext context)
    {
        request = Read(request);
        if (request.Error is { } refused)
        {
            throw StatusTranslation.ToRpcException(refused);
        }

        var call = request.Request!;
        call.Stream = true;
        // gRPC's flow control is the back-pressure: a write waits while the caller's window is full.
        var end = await dispatcher.StreamAsync(
            call,
            PeerAddress(context),
            (item, ct) => new ValueTask(responseStream.WriteAsync(CallMapper.Item(call.Id, item), ct)),
            context.CancellationToken).ConfigureAwait(false);
        if (end.OutcomeCase == CallResponse.OutcomeOneofCase.Error)
        {
            throw StatusTranslation.ToRpcException(new ModulusException((Sdk.StatusCode)end.Error.Code, end.Error.Message));
        }
    }

    public override Task<ListModulesResponse> ListModules(ListModulesRequest request, ServerCallContext context) =>
        Task.FromResult(dispatcher.List());

    public override Task<HostInfo> GetHostInfo(HostInfoRequest request, ServerCallContext context)
    {
        try
        {
            return Task.FromResult(dispatcher.HostInfo(request));
        }
        catch (ModulusException ex)
        {
            throw StatusTranslation.ToRpcException(ex);
        }
    }

    public override Task<Protocol.V1.ModuleInfo> GetModuleInfo(GetModuleInfoRequest request, ServerCallContext context)
    {
        try
        {
            return Task.FromResult(dispatcher.Info(request.Module));
        }
        catch (ModulusException ex)
        {
            throw StatusTranslation.ToRpcException(ex);
        }
    }

    /// <summary>The IP address in gRPC's peer string (<c>ipv4:127.0.0.1:5000</c>, <c>ipv6:[::1]:5000</c>).</summary>
    private static string? PeerAddress(ServerCallContext context)
    {
        var peer = context.Peer;
        var colon = peer.IndexOf(':');
        var last = peer.LastIndexOf(':');
        return colon < 0 || last <= colon ? peer : peer[(colon + 1)..last].Trim('[', ']');
    }

    private async Task AnswerAsync(CallRequest request, string? peer, ChannelWriter<CallResponse> responses, SemaphoreSlim slots, CancellationToken cancellation)
    {
        try
        {
            // A streamed answer shares the stream with other calls: its items carry its id, then its end.
            var response = request.Stream
                ? await dispatcher.StreamAsync(request, peer, (item, ct) => responses.WriteAsync(CallMapper.Item(request.Id, item), ct), cancellation).ConfigureAwait(false)
                : await dispatcher.CallAsync(request, peer, cancellation).ConfigureAwait(false);
            await responses.WriteAsync(response, cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The caller went away; there is nobody to answer.
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task WriteResponsesAsync(ChannelReader<CallResponse> responses, IServerStreamWriter<CallResponse> stream, CancellationToken cancellation)
    {
        try
        {
            await foreach (var response in responses.ReadAllAsync(cancellation).ConfigureAwait(false))
            {
                await stream.WriteAsync(response, cancellation).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            HostingLog.StreamClosed(logger, ex.Message);
        }
    }
}
