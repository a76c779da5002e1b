using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>Binds the call's arguments to the endpoint's parameters, checking their types.</summary>
internal sealed class BindStep : IInvocationStep
{
    public ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        invocation.Arguments = ArgumentBinder.Bind(invocation.Target, invocation.Endpoint, invocation.Call.Args, invocation.Call.Kwargs);
        return next(invocation);
    }
}
