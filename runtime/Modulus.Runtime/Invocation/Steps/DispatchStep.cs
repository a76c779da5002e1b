using Microsoft.Extensions.Logging;
using Modulus.Runtime.Isolation;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>
/// The last step: runs the endpoint, in its worker process or, for an in-process module, on the
/// thread pool (never on the transport's thread that delivered the call), and returns at the
/// deadline even when the module's code goes on. The edge of module code: whatever a module throws
/// becomes INTERNAL with its message.
/// </summary>
internal sealed class DispatchStep(ILogger<DispatchStep> logger) : IInvocationStep
{
    public async ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        var module = invocation.Entry.Module;
        var context = new CallContext
        {
            Module = invocation.Call.Module,
            Endpoint = invocation.Endpoint.Name,
            RequestId = invocation.Call.RequestId,
            Caller = invocation.Call.Caller,
            Deadline = invocation.Deadline,
            CancellationToken = invocation.CancellationToken,
        };

        var arguments = invocation.Arguments;
        var endpoint = invocation.Endpoint;
        try
        {
            var running = module is WorkerModule
                ? module.InvokeAsync(endpoint, arguments, context).AsTask()
                : Task.Run(() => module.InvokeAsync(endpoint, arguments, context).AsTask(), CancellationToken.None);
            invocation.Running = running;
            return await running.WaitAsync(invocation.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ModulusException and not OperationCanceledException)
        {
            RuntimeLog.EndpointFailed(logger, invocation.Target, ex);
            throw new ModulusException(StatusCode.Internal, $"{invocation.Target} threw {ex.GetType().Name}: {ex.Message}");
        }
    }
}
