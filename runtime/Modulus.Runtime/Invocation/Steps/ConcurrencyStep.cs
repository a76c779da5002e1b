using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>Applies <c>limits.max_concurrency</c> and <c>limits.max_queue</c>: a permit per running call, held until its code stops.</summary>
internal sealed class ConcurrencyStep : IInvocationStep
{
    public async ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        if (invocation.Entry.Limiter is not { } limiter)
        {
            return await next(invocation).ConfigureAwait(false);
        }

        var permit = await limiter.AcquireAsync(1, invocation.CancellationToken).ConfigureAwait(false);
        if (!permit.IsAcquired)
        {
            permit.Dispose();
            var limits = invocation.Entry.Source.Manifest.Limits;
            throw new ModulusException(StatusCode.ResourceExhausted,
                $"{invocation.Target} is busy: {limits.MaxConcurrency} calls running and {limits.MaxQueue} waiting (limits.max_concurrency, limits.max_queue); retry later");
        }

        invocation.Hold(permit);
        return await next(invocation).ConfigureAwait(false);
    }
}
