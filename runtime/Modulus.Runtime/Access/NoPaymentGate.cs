using Modulus.Modules;
using Modulus.Protocol.Payments;
using Modulus.Sdk;

namespace Modulus.Runtime.Access;

/// <summary>The gate of a host that takes no payments (no chain, no escrow): every paid call is refused, saying why.</summary>
internal sealed class NoPaymentGate : IPaymentGate
{
    public string? Escrow => null;

    public ValueTask<PaymentHold> AuthorizeAsync(PaidCall call, CancellationToken cancellationToken) =>
        throw new ModulusException(StatusCode.PermissionDenied,
            $"{call.Module} is paid ({GptAmount.ToDecimalString(call.Price)} $GPT per call, access.price), and this host takes no payments: it was started without a chain that has a call escrow (see `modulus serve --help`)");

    public ValueTask CommitAsync(PaymentHold hold, System.Numerics.BigInteger charged, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Release(PaymentHold hold)
    {
    }
}
