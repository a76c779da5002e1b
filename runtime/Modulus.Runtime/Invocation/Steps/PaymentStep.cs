using Modulus.Protocol.Payments;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>
/// For a module with <c>access.mode</c> "paid": the payment gate checks the call's voucher and holds
/// its price before anything else runs (the call's own signature was verified by the host already);
/// the voucher is stored durably once the module has answered and before the answer is sent; the
/// hold is given back when the call fails. An unsigned paid call's caller is its verified payer.
/// </summary>
internal sealed class PaymentStep(IPaymentGate payments) : IInvocationStep
{
    public async ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        var access = invocation.Entry.Source.Manifest.Access;
        if (!access.IsPaid)
        {
            return await next(invocation).ConfigureAwait(false);
        }

        var call = invocation.Call;
        var hold = await payments.AuthorizeAsync(new PaidCall(call.Module, invocation.Endpoint.Name, access.Price, call.Voucher, call.Caller), invocation.CancellationToken).ConfigureAwait(false);
        invocation.Call = call with { Caller = call.Caller ?? hold.Payer };
        Value result;
        try
        {
            result = await next(invocation).ConfigureAwait(false);
        }
        catch
        {
            payments.Release(hold);
            throw;
        }

        await payments.CommitAsync(hold, invocation.CallerToken).ConfigureAwait(false);
        return result;
    }
}
