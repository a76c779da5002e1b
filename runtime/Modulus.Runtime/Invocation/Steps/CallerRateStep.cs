using Modulus.Runtime.Loading;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>
/// Applies <c>limits.rate_per_caller</c>: a token bucket per caller (a signed address, else an IP
/// address), and for signed callers a larger one per IP address, so that a fresh key per call cannot
/// get around the rate.
/// </summary>
internal sealed class CallerRateStep : IInvocationStep
{
    public ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        if (invocation.Entry.CallerLimiter is not { } rate)
        {
            return next(invocation);
        }

        var call = invocation.Call;
        var limits = invocation.Entry.Source.Manifest.Limits;
        var who = call.Caller ?? call.Peer ?? "anonymous";
        using (var token = rate.AttemptAcquire(who))
        {
            if (!token.IsAcquired)
            {
                throw new ModulusException(StatusCode.ResourceExhausted,
                    $"caller {who} is over {call.Module}'s rate of {limits.RatePerCaller} calls per second (limits.rate_per_caller); retry in a moment");
            }
        }

        if (call.Caller is not null && call.Peer is not null)
        {
            using var address = rate.AttemptAcquire(ModuleEntry.SignedAddressPrefix + call.Peer);
            if (!address.IsAcquired)
            {
                throw new ModulusException(StatusCode.ResourceExhausted,
                    $"address {call.Peer} is over {call.Module}'s rate for signed callers from one address ({ModuleEntry.SignersPerAddress} × {limits.RatePerCaller} calls per second, limits.rate_per_caller); retry in a moment");
            }
        }

        return next(invocation);
    }
}
