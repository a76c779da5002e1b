using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol;
using Modulus.Protocol.V1;
using Modulus.Runtime;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Hosting.Transports.Grpc;

/// <summary>The <c>modulus.v1.ModuleService</c>: calls, streams of calls, list and info.</summary>
internal sealed class ModuleGrpcService(
    IModuleInvoker invoker,
    IModuleCatalog catalog,
    IOptions<ModulusServerOptions> options,
    ILogger<ModuleGrpcService> logger) : ModuleService.ModuleServiceBase
{
    public override async Task<CallResponse> Call(CallRequest request, ServerCallContext context)
    {
        try
        {
            var call = CallMapper.FromMessage(request);
            var result = await invoker.InvokeAsync(call, context.CancellationToken).ConfigureAwait(false);
            return CallMapper.Success(request.Id, result);
        }
        catch (ModulusException ex)
        {
            throw StatusTranslation.ToRpcException(ex);
        }
    }

    public override async Task CallStream(IAsyncStreamReader<CallRequest> requestStream, IServerStreamWriter<CallResponse> responseStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        // A stream writer takes one write at a time: responses queue here and one task writes them.
        var responses = Channel.CreateBounded<CallResponse>(new BoundedChannelOptions(options.Value.MaxCallsPerStream) { SingleReader = true });
        var writer = WriteResponsesAsync(responses.Reader, responseStream, cancellation);
        using var slots = new SemaphoreSlim(options.Value.MaxCallsPerStream);
        var inFlight = new List<Task>();
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(cancellation).ConfigureAwait(false))
            {
                await slots.WaitAsync(cancellation).ConfigureAwait(false);
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(AnswerAsync(request, responses.Writer, slots, cancellation));
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
        finally
        {
            responses.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    public override Task<ListModulesResponse> ListModules(ListModulesRequest request, ServerCallContext context)
    {
        var response = new ListModulesResponse();
        foreach (var module in catalog.Modules)
        {
            response.Modules.Add(CallMapper.ToMessage(module));
        }

        foreach (var fault in catalog.Faults)
        {
            response.Faults.Add(new Protocol.V1.ModuleFault { Path = fault.Path, Reason = fault.Reason });
        }

        return Task.FromResult(response);
    }

    public override Task<Protocol.V1.ModuleInfo> GetModuleInfo(GetModuleInfoRequest request, ServerCallContext context)
    {
        var info = catalog.Find(request.Module)
            ?? throw StatusTranslation.ToRpcException(new ModulusException(StatusCode.NotFound, $"module \"{request.Module}\" is not served here; `modulus ls` lists the modules this host serves"));
        return Task.FromResult(CallMapper.ToMessage(info));
    }

    private async Task AnswerAsync(CallRequest request, ChannelWriter<CallResponse> responses, SemaphoreSlim slots, CancellationToken cancellation)
    {
        try
        {
            CallResponse response;
            try
            {
                var call = CallMapper.FromMessage(request);
                var result = await invoker.InvokeAsync(call, cancellation).ConfigureAwait(false);
                response = CallMapper.Success(request.Id, result);
            }
            catch (ModulusException ex)
            {
                response = CallMapper.Failure(request.Id, ex.Code, ex.Message);
            }

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
