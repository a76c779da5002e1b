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
        var wanted = invocation.Call.Stream;
        // A streaming endpoint always writes to a stream: the caller's, or, for a caller that asked
        // for one value, a list that collects the items. A caller that asked for a stream from an
        // endpoint that answers once gets the answer as the stream's one item.
        var collected = endpoint.Streaming && wanted is null ? new CollectedItems(invocation.Target) : null;
        var stream = endpoint.Streaming ? wanted ?? collected!.Add : null;
        if (stream is not null && invocation.Items is { } wrap)
        {
            stream = wrap(stream);
        }

        try
        {
            var running = module is WorkerModule
                ? module.InvokeAsync(endpoint, arguments, context, stream).AsTask()
                : Task.Run(() => module.InvokeAsync(endpoint, arguments, context, stream).AsTask(), CancellationToken.None);
            invocation.Running = running;
            var result = await running.WaitAsync(invocation.CancellationToken).ConfigureAwait(false);
            if (collected is not null)
            {
                return collected.ToValue();
            }

            if (!endpoint.Streaming && wanted is not null)
            {
                await wanted(result, invocation.CancellationToken).ConfigureAwait(false);
                return Value.Null;
            }

            return result;
        }
        catch (Exception ex) when (ex is not ModulusException and not OperationCanceledException)
        {
            RuntimeLog.EndpointFailed(logger, invocation.Target, ex);
            throw new ModulusException(StatusCode.Internal, $"{invocation.Target} threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>The items of a stream whose caller asked for one value: they come back as a list.</summary>
    private sealed class CollectedItems(string target)
    {
        /// <summary>The most items collected into one answer; a longer stream must be read as a stream.</summary>
        public const int MaxItems = 100_000;

        private readonly List<Value> _items = [];

        public ValueTask Add(Value item, CancellationToken cancellationToken)
        {
            if (_items.Count == MaxItems)
            {
                throw new ModulusException(StatusCode.ResourceExhausted,
                    $"{target} streams more than {MaxItems:N0} items, too many to answer as one list; call it as a stream (`modulus call … --stream`, ModulusClient.StreamAsync, gRPC StreamCall)");
            }

            _items.Add(item);
            return ValueTask.CompletedTask;
        }

        public Value ToValue() => Value.List(_items);
    }
}
