using System.Numerics;
using Modulus.Modules;
using Modulus.Protocol;
using Modulus.Protocol.Payments;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>
/// For a module with <c>access.mode</c> "paid": the payment gate checks the call's voucher and holds
/// what the call may cost before anything else runs (the call's own signature was verified by the
/// host already); the voucher is stored durably with what the call cost once the module has
/// answered and before the answer ends. A call is charged once it delivered something: its result,
/// or an item of its stream (a stream that fails or is cancelled after some items is charged for
/// those, so leaving a stream early is not a way to be served for nothing); the hold is given back
/// when it delivered nothing. A metered call (a streaming endpoint of a module with
/// <c>access.price_per_1k_tokens</c>) holds the credit its voucher names and is stopped before the
/// item that would cost more. An unsigned paid call's caller is its verified payer.
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
        var charge = new CallCharge(access.Price, invocation.Endpoint.Streaming ? access.PricePer1kTokens : BigInteger.Zero);
        var credit = CreditOf(invocation, charge);
        var hold = await payments.AuthorizeAsync(new PaidCall(call.Module, invocation.Endpoint.Name, access.Price, call.Voucher, call.Caller, credit, call.Peer), invocation.CancellationToken).ConfigureAwait(false);
        invocation.Call = call with { Caller = call.Caller ?? hold.Payer };
        var meter = new ItemMeter(invocation.Target, charge, credit);
        if (invocation.Endpoint.Streaming)
        {
            invocation.Items = meter.Wrap;
        }

        Value result;
        try
        {
            result = await next(invocation).ConfigureAwait(false);
        }
        catch
        {
            // Items that reached the caller's stream were served; items collected for a caller that
            // wanted one answer were not (it gets the error alone).
            if (meter.Delivered > 0 && call.Stream is not null)
            {
                await CommitAfterFailureAsync(hold, charge.For(meter.Delivered)).ConfigureAwait(false);
            }
            else
            {
                payments.Release(hold);
            }

            throw;
        }

        await payments.CommitAsync(hold, charge.For(meter.Delivered), invocation.CallerToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>What the call may cost: its price, or for a metered call the credit its voucher names, which must pay for a token at least.</summary>
    private static BigInteger CreditOf(Invocation invocation, CallCharge charge)
    {
        if (!charge.Metered || invocation.Call.Voucher is not { } voucher)
        {
            // A voucher-less call is refused by the gate with the price and what to do.
            return charge.Price;
        }

        var credit = voucher.Credit.IsEmpty ? charge.Price : VoucherDigest.Amount(voucher.Credit.Span, "credit");
        if (charge.ItemsCovered(credit) == 0)
        {
            throw new ModulusException(StatusCode.PermissionDenied,
                $"{invocation.Target} is metered: {GptAmount.Format(charge.Price)} $GPT per call plus {GptAmount.Format(charge.PricePer1kTokens)} per 1,000 tokens (access.price_per_1k_tokens), " +
                $"and the voucher's credit of {GptAmount.Format(credit)} $GPT pays for no token; name a credit above the price (Voucher.credit; the clients use their maximum price per call, `--max-price`)");
        }

        return credit;
    }

    private async ValueTask CommitAfterFailureAsync(PaymentHold hold, BigInteger charged)
    {
        try
        {
            await payments.CommitAsync(hold, charged, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ModulusException)
        {
            // The gate logged why it could not record the charge; the caller is told of the call's
            // own failure, which is what ended it.
        }
    }

    /// <summary>Counts the items a streaming endpoint writes and, for a metered call, stops the stream before an item its credit does not pay for.</summary>
    private sealed class ItemMeter(string target, CallCharge charge, BigInteger credit)
    {
        private readonly long _covered = charge.ItemsCovered(credit);
        private long _delivered;

        /// <summary>Items the caller's writer took.</summary>
        public long Delivered => Volatile.Read(ref _delivered);

        public StreamItemWriter Wrap(StreamItemWriter inner) => async (item, cancellationToken) =>
        {
            if (Delivered >= _covered)
            {
                throw new ModulusException(StatusCode.ResourceExhausted,
                    $"{target} stopped after {_covered:N0} tokens: the call's credit of {GptAmount.Format(credit)} $GPT pays for no more " +
                    $"({GptAmount.Format(charge.Price)} per call plus {GptAmount.Format(charge.PricePer1kTokens)} per 1,000 tokens); those were charged {GptAmount.Format(charge.For(_covered))}. " +
                    "Name a larger credit for a longer answer (a higher maximum price per call, `--max-price`)");
            }

            await inner(item, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _delivered);
        };
    }
}
