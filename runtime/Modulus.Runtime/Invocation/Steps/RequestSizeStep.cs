using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>Refuses a request larger than the module's <c>limits.max_request_bytes</c>.</summary>
internal sealed class RequestSizeStep : IInvocationStep
{
    public ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        var limit = invocation.Entry.Source.Manifest.Limits.MaxRequestBytes;
        if (invocation.Call.RequestBytes > limit)
        {
            throw new ModulusException(StatusCode.ResourceExhausted,
                $"the request to {invocation.Target} is {invocation.Call.RequestBytes} bytes; the module accepts at most {limit} (limits.max_request_bytes)");
        }

        return next(invocation);
    }
}
