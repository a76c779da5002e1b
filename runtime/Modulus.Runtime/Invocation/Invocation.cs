using Modulus.Protocol;
using Modulus.Runtime.Loading;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation;

/// <summary>
/// One call on its way through the invocation steps: what was asked, the module serving it, and
/// what the steps have worked out so far (bound arguments, the time left). Steps may hold resources
/// (a concurrency permit, a timer) until the module's code has really stopped: they hand them to
/// <see cref="Hold"/>, and the invoker releases them then, which may be after the caller was answered.
/// </summary>
internal sealed class Invocation(ModuleCall call, ModuleEntry entry, EndpointSchema endpoint, CancellationToken cancellationToken)
{
    private List<IDisposable>? _held;

    /// <summary>The call; the payment step names its payer as the caller of an unsigned paid call.</summary>
    public ModuleCall Call { get; set; } = call;

    public ModuleEntry Entry { get; } = entry;

    public EndpointSchema Endpoint { get; } = endpoint;

    /// <summary><c>module/endpoint</c>, as every error names the call.</summary>
    public string Target { get; } = $"{call.Module}/{endpoint.Name}";


    /// <summary>The arguments bound to the endpoint's parameters, once the binding step has run.</summary>
    public Value?[] Arguments { get; set; } = [];

    /// <summary>Fires when the caller goes away, and (after the deadline step) at the call's deadline.</summary>
    public CancellationToken CancellationToken { get; set; } = cancellationToken;

    /// <summary>The caller's own token: fires only when the caller goes away.</summary>
    public CancellationToken CallerToken { get; } = cancellationToken;

    /// <summary>The deadline the module is given, once the deadline step has set it.</summary>
    public DateTimeOffset? Deadline { get; set; }

    /// <summary>
    /// Wraps the writer a streaming endpoint's items go through, the caller's stream or the list that
    /// collects them (the payment step counts and meters them); null for none.
    /// </summary>
    public Func<StreamItemWriter, StreamItemWriter>? Items { get; set; }

    /// <summary>The module's code, while it runs; set by the dispatch step.</summary>
    public Task<Value>? Running { get; set; }

    /// <summary>Keeps <paramref name="resource"/> until the module's code has stopped.</summary>
    public void Hold(IDisposable resource) => (_held ??= []).Add(resource);

    /// <summary>Releases what the steps held, now or, when the module's code is still running, once it stops.</summary>
    public Task ReleaseAsync(Func<ValueTask> releaseEntry)
    {
        if (Running is { IsCompleted: false } running)
        {
            // The module ignored its cancellation: hold its permit and its reference until it really
            // stops, so that the limits stay true and its code is not unloaded under it.
            return running.ContinueWith(
                static async (_, state) =>
                {
                    var (invocation, release) = ((Invocation, Func<ValueTask>))state!;
                    invocation.DisposeHeld();
                    await release().ConfigureAwait(false);
                },
                (this, releaseEntry),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default).Unwrap();
        }

        DisposeHeld();
        return releaseEntry().AsTask();
    }

    private void DisposeHeld()
    {
        if (_held is null)
        {
            return;
        }

        for (var i = _held.Count - 1; i >= 0; i--)
        {
            _held[i].Dispose();
        }
    }
}

/// <summary>The rest of the invocation pipeline, from a step's point of view.</summary>
internal delegate ValueTask<Value> InvocationDelegate(Invocation invocation);

/// <summary>
/// One step of the invocation pipeline (access, limits, rate, binding, deadline, dispatch), in the
/// manner of a gRPC interceptor: it may refuse the call by throwing a <see cref="ModulusException"/>,
/// or pass it on to <c>next</c>.
/// </summary>
internal interface IInvocationStep
{
    ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next);
}
