using Modulus.Modules;
using Modulus.Runtime.Access;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>Applies the module's <c>access</c> rule to the caller.</summary>
internal sealed class AccessStep(IStakeOracle stakes) : IInvocationStep
{
    public async ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        var call = invocation.Call;
        await AccessGuard.CheckAsync(call.Module, invocation.Entry.Source.Manifest.Access, call.Caller, stakes, invocation.CancellationToken).ConfigureAwait(false);
        return await next(invocation).ConfigureAwait(false);
    }
}
