using System.Numerics;

namespace Modulus.Protocol.Payments;

/// <summary>
/// The host's check of paid calls (module.json <c>access.mode "paid"</c>), called once per call to a
/// paid module: <see cref="AuthorizeAsync"/> before the module runs, then <see cref="CommitAsync"/>
/// after it succeeded and before the answer is sent, or <see cref="Release"/> when it failed.
/// The host registers one; without a chain it refuses every paid call, saying why.
/// </summary>
public interface IPaymentGate
{
    /// <summary>The CallEscrow contract whose vouchers this host accepts, told to callers in the handshake; null when it takes no payments.</summary>
    string? Escrow { get; }

    /// <summary>
    /// Checks the call's voucher (signature by the payer or a signer it authorized; this host's
    /// escrow, chain and address; a cumulative amount covering everything served to the payer for
    /// the module plus this call; covered by the payer's escrow balance) and holds this call's price.
    /// </summary>
    /// <returns>The hold to commit or release.</returns>
    /// <exception cref="Sdk.ModulusException">PERMISSION_DENIED with the price and what to do when the voucher is missing, short or wrong; UNAUTHENTICATED for a malformed signature; UNAVAILABLE when the chain cannot be read.</exception>
    ValueTask<PaymentHold> AuthorizeAsync(PaidCall call, CancellationToken cancellationToken);

    /// <summary>Records the call as served and its voucher durably (written and flushed to disk) before the host answers.</summary>
    /// <exception cref="Sdk.ModulusException">INTERNAL when the voucher could not be stored; the host must not answer with the result.</exception>
    ValueTask CommitAsync(PaymentHold hold, CancellationToken cancellationToken);

    /// <summary>Gives back the hold of a call that was not served (the module failed), so the payer is not charged.</summary>
    void Release(PaymentHold hold);
}

/// <summary>One call to a paid module, as the host received it.</summary>
/// <param name="Module">The module's name (the voucher's module).</param>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="Price">The module's price per call in wei (access.price).</param>
/// <param name="Voucher">The voucher the request carried, or null.</param>
/// <param name="Caller">The verified signer of the request, when it was signed.</param>
public sealed record PaidCall(string Module, string Endpoint, BigInteger Price, V1.Voucher? Voucher, string? Caller);

/// <summary>A voucher accepted for one call, held until the call is committed or released.</summary>
/// <param name="Payer">The payer (checksummed).</param>
/// <param name="Module">The module.</param>
/// <param name="Price">The price held for this call, in wei.</param>
/// <param name="CumulativeAmount">The voucher's cumulative amount, in wei.</param>
/// <param name="Signature">The voucher's 65-byte signature.</param>
/// <param name="Signer">The address that signed it (the payer or an authorized signer).</param>
public sealed record PaymentHold(string Payer, string Module, BigInteger Price, BigInteger CumulativeAmount, byte[] Signature, string Signer);

/// <summary>Words of the gate's refusals that callers act on.</summary>
public static class PaymentMessages
{
    /// <summary>In the refusal of a voucher whose cumulative amount is below what the host served plus this call.</summary>
    public const string NotCovered = "does not cover this call";
}
