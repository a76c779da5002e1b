using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>
/// Refuses a request larger than the module's <c>limits.max_request_bytes</c>. The transports apply
/// the same rule (<see cref="Refusal"/>) before they parse a request whose module they can read from
/// its first bytes; this step catches the rest.
/// </summary>
internal sealed class RequestSizeStep : IInvocationStep
{
    /// <summary>The refusal of a request of <paramref name="bytes"/> to a module that accepts at most <paramref name="limit"/>.</summary>
    public static ModulusException Refusal(string target, long bytes, int limit) => new(StatusCode.ResourceExhausted,
        $"the request to {target} is {bytes} bytes; the module accepts at most {limit} (limits.max_request_bytes)");

    public ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        var limit = invocation.Entry.Source.Manifest.Limits.MaxRequestBytes;
        if (invocation.Call.RequestBytes > limit)
        {
            throw Refusal(invocation.Target, invocation.Call.RequestBytes, limit);
        }

        return next(invocation);
    }
}
