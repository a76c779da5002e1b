using Modulus.Protocol;
using Modulus.Runtime.Catalog;
using Modulus.Runtime.Invocation.Steps;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation;

/// <summary>
/// Calls endpoints through the invocation steps, in this order: payment, access, request size,
/// caller rate, binding, concurrency, deadline, dispatch. The order is the pipeline's, written here once.
/// </summary>
internal sealed class ModuleInvoker : IModuleInvoker
{
    private readonly ModuleCatalog _catalog;
    private readonly InvocationDelegate _pipeline;

    public ModuleInvoker(ModuleCatalog catalog, PaymentStep payment, AccessStep access, DeadlineStep deadline, DispatchStep dispatch)
    {
        _catalog = catalog;
        IInvocationStep[] steps = [payment, access, new RequestSizeStep(), new CallerRateStep(), new BindStep(), new ConcurrencyStep(), deadline, dispatch];
        InvocationDelegate pipeline = static _ => throw new InvalidOperationException("the dispatch step ends the pipeline");
        foreach (var step in steps.Reverse())
        {
            var next = pipeline;
            pipeline = invocation => step.InvokeAsync(invocation, next);
        }

        _pipeline = pipeline;
    }

    public async ValueTask<Value> InvokeAsync(ModuleCall call, CancellationToken cancellationToken)
    {
        var entry = _catalog.Acquire(call.Module);
        Invocation? invocation = null;
        try
        {
            if (!entry.Module.TryGetEndpoint(call.Endpoint, out var endpoint))
            {
                throw new ModulusException(StatusCode.NotFound,
                    $"module {call.Module} has no endpoint \"{call.Endpoint}\"; it has {string.Join(", ", entry.Module.Info.Endpoints.Select(e => e.Name))}");
            }

            invocation = new Invocation(call, entry, endpoint, cancellationToken);
            return await _pipeline(invocation).ConfigureAwait(false);
        }
        finally
        {
            if (invocation is null)
            {
                await entry.ReleaseAsync().ConfigureAwait(false);
            }
            else
            {
                var released = invocation.ReleaseAsync(entry.ReleaseAsync);
                if (released.IsCompleted)
                {
                    await released.ConfigureAwait(false);
                }
            }
        }
    }
}
