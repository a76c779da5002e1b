using System.Numerics;

namespace Modulus.Protocol.Payments;

/// <summary>
/// The host's check of paid calls (module.json <c>access.mode "paid"</c>), called once per call to a
/// paid module: <see cref="AuthorizeAsync"/> before the module runs, then <see cref="CommitAsync"/>
/// with what the call cost once it delivered something (its result, or an item of its stream) and
/// before its answer ends, or <see cref="Release"/> when it delivered nothing.
/// The host registers one; without a chain it refuses every paid call, saying why.
/// </summary>
public interface IPaymentGate
{
    /// <summary>The CallEscrow contract whose vouchers this host accepts, told to callers in the handshake; null when it takes no payments.</summary>
    string? Escrow { get; }

    /// <summary>
    /// Checks the call's voucher (signature by the payer or a signer it authorized; this host's
    /// escrow, chain and address; a cumulative amount covering everything served to the payer for
    /// the module plus this call's hold; covered by the payer's escrow balance) and holds <see cref="PaidCall.Hold"/>.
    /// </summary>
    /// <returns>The hold to commit or release.</returns>
    /// <exception cref="Sdk.ModulusException">PERMISSION_DENIED with the price and what to do when the voucher is missing, short or wrong; UNAUTHENTICATED for a malformed signature; UNAVAILABLE when the chain cannot be read; RESOURCE_EXHAUSTED when the caller's address sent too many refused vouchers just now.</exception>
    ValueTask<PaymentHold> AuthorizeAsync(PaidCall call, CancellationToken cancellationToken);

    /// <summary>Records the call as served for <paramref name="charged"/> (at most the hold) and its voucher durably (written and flushed to disk) before the host answers.</summary>
    /// <exception cref="Sdk.ModulusException">INTERNAL when the voucher could not be stored; the host must not answer with the result.</exception>
    ValueTask CommitAsync(PaymentHold hold, BigInteger charged, CancellationToken cancellationToken);

    /// <summary>Gives back the hold of a call that delivered nothing (refused, or failed before its first item), so the payer is not charged.</summary>
    void Release(PaymentHold hold);
}

/// <summary>One call to a paid module, as the host received it.</summary>
/// <param name="Module">The module's name (the voucher's module).</param>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="Price">The module's price per call in wei (access.price).</param>
/// <param name="Voucher">The voucher the request carried, or null.</param>
/// <param name="Caller">The verified signer of the request, when it was signed.</param>
/// <param name="Hold">
/// The most the call may cost, held of the voucher while it runs: <paramref name="Price"/>, or for a
/// metered call the credit its voucher names (<see cref="V1.Voucher.Credit"/>, at least the price).
/// </param>
/// <param name="Peer">The caller's IP address as the transport saw it, when it has one: refused vouchers are counted per address.</param>
public sealed record PaidCall(string Module, string Endpoint, BigInteger Price, V1.Voucher? Voucher, string? Caller, BigInteger Hold, string? Peer = null);

/// <summary>A voucher accepted for one call, held until the call is committed or released.</summary>
/// <param name="Payer">The payer (checksummed).</param>
/// <param name="Module">The module.</param>
/// <param name="Price">The amount held for this call, in wei (<see cref="PaidCall.Hold"/>).</param>
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
