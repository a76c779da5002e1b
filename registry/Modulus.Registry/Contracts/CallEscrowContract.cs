using System.Numerics;
using System.Text.Json;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Modulus.Registry.Contracts;

/// <summary>The escrow's compiled bytecode, read from the embedded artifact like the other contracts'.</summary>
internal static class CallEscrowArtifact
{
    private static readonly Lazy<string> Code = new(() =>
    {
        using var stream = typeof(CallEscrowArtifact).Assembly.GetManifestResourceStream("artifacts/CallEscrow.json")
            ?? throw new InvalidOperationException("The artifact of CallEscrow is not embedded; build registry/contracts (npm run build) first.");
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("bytecode").GetString()!;
    });

    public static string Bytecode => Code.Value;
}

/// <summary>Why the escrow skipped a voucher in a batch, as the contract numbers it.</summary>
internal enum RedeemSkipReason : byte
{
    NotIncreasing = 0,
    InvalidSignature = 1,
    UnauthorizedSigner = 2,
    UnknownModule = 3,
    Underfunded = 4,
}

internal sealed class CallEscrowDeployment() : ContractDeploymentMessage(CallEscrowArtifact.Bytecode)
{
    [Parameter("address", "token_", 1)]
    public string Token { get; set; } = string.Empty;

    [Parameter("address", "registry_", 2)]
    public string Registry { get; set; } = string.Empty;

    [Parameter("address", "staking_", 3)]
    public string Staking { get; set; } = string.Empty;

    [Parameter("uint256", "thawPeriod_", 4)]
    public BigInteger ThawPeriod { get; set; }
}

/// <summary>
/// One signed promise: <see cref="Payer"/> owes <see cref="Receiver"/>, for calls to the module
/// named <see cref="Module"/>, <see cref="CumulativeAmount"/> in all. The same class is the ABI
/// tuple of <c>redeem</c> and the EIP-712 struct the payer signs.
/// </summary>
[Struct("Voucher")]
internal sealed class Voucher
{
    [Parameter("address", "payer", 1)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("string", "module", 3)]
    public string Module { get; set; } = string.Empty;

    [Parameter("uint256", "cumulativeAmount", 4)]
    public BigInteger CumulativeAmount { get; set; }
}

[Function("deposit")]
internal sealed class EscrowDepositFunction : FunctionMessage
{
    [Parameter("address", "receiver", 1)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("thaw")]
internal sealed class EscrowThawFunction : FunctionMessage
{
    [Parameter("address", "receiver", 1)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("cancelThaw")]
internal sealed class EscrowCancelThawFunction : FunctionMessage
{
    [Parameter("address", "receiver", 1)]
    public string Receiver { get; set; } = string.Empty;
}

[Function("withdraw")]
internal sealed class EscrowWithdrawFunction : FunctionMessage
{
    [Parameter("address", "receiver", 1)]
    public string Receiver { get; set; } = string.Empty;
}

[Function("authorizeSigner")]
internal sealed class AuthorizeSignerFunction : FunctionMessage
{
    [Parameter("address", "signer", 1)]
    public string Signer { get; set; } = string.Empty;
}

[Function("revokeSigner")]
internal sealed class RevokeSignerFunction : FunctionMessage
{
    [Parameter("address", "signer", 1)]
    public string Signer { get; set; } = string.Empty;
}

[Function("setShares")]
internal sealed class SetSharesFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("uint16", "hostBps", 2)]
    public ushort HostBps { get; set; }

    [Parameter("uint16", "stakersBps", 3)]
    public ushort StakersBps { get; set; }
}

[Function("redeem", "uint256")]
internal sealed class RedeemFunction : FunctionMessage
{
    [Parameter("tuple[]", "vouchers", 1)]
    public List<Voucher> Vouchers { get; set; } = [];

    [Parameter("bytes[]", "signatures", 2)]
    public List<byte[]> Signatures { get; set; } = [];
}

[Function("accountOf", typeof(EscrowAccountOutput))]
internal sealed class EscrowAccountOfFunction : FunctionMessage
{
    [Parameter("address", "payer", 1)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2)]
    public string Receiver { get; set; } = string.Empty;
}

[FunctionOutput]
internal sealed class EscrowAccountOutput : IFunctionOutputDTO
{
    [Parameter("uint256", "balance", 1)]
    public BigInteger Balance { get; set; }

    [Parameter("uint256", "thawing", 2)]
    public BigInteger Thawing { get; set; }

    [Parameter("uint256", "thawEndsAt", 3)]
    public BigInteger ThawEndsAt { get; set; }
}

[Function("redeemed", "uint256")]
internal sealed class RedeemedAmountFunction : FunctionMessage
{
    [Parameter("address", "payer", 1)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("bytes32", "module", 3)]
    public byte[] Module { get; set; } = [];
}

[Function("signerValidUntil", "uint256")]
internal sealed class SignerValidUntilFunction : FunctionMessage
{
    [Parameter("address", "payer", 1)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "signer", 2)]
    public string Signer { get; set; } = string.Empty;
}

[Function("isSigner", "bool")]
internal sealed class IsSignerFunction : FunctionMessage
{
    [Parameter("address", "payer", 1)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "signer", 2)]
    public string Signer { get; set; } = string.Empty;
}

[Function("sharesOf", typeof(SharesOutput))]
internal sealed class SharesOfFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[FunctionOutput]
internal sealed class SharesOutput : IFunctionOutputDTO
{
    [Parameter("uint16", "hostBps", 1)]
    public ushort HostBps { get; set; }

    [Parameter("uint16", "stakersBps", 2)]
    public ushort StakersBps { get; set; }

    [Parameter("uint16", "ownerBps", 3)]
    public ushort OwnerBps { get; set; }
}

[Function("pendingSharesOf", typeof(PendingSharesOutput))]
internal sealed class PendingSharesOfFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[FunctionOutput]
internal sealed class PendingSharesOutput : IFunctionOutputDTO
{
    [Parameter("uint16", "hostBps", 1)]
    public ushort HostBps { get; set; }

    [Parameter("uint16", "stakersBps", 2)]
    public ushort StakersBps { get; set; }

    [Parameter("uint256", "effectiveFrom", 3)]
    public BigInteger EffectiveFrom { get; set; }
}

[Function("voucherDigest", "bytes32")]
internal sealed class VoucherDigestFunction : FunctionMessage
{
    [Parameter("tuple", "v", 1)]
    public Voucher Voucher { get; set; } = new();
}

[Function("thawPeriod", "uint256")]
internal sealed class ThawPeriodFunction : FunctionMessage;

[Event("Deposited")]
internal sealed class DepositedEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2, true)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }

    [Parameter("uint256", "balance", 4, false)]
    public BigInteger Balance { get; set; }
}

[Event("ThawStarted")]
internal sealed class ThawStartedEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2, true)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("uint256", "thawing", 3, false)]
    public BigInteger Thawing { get; set; }

    [Parameter("uint256", "thawEndsAt", 4, false)]
    public BigInteger ThawEndsAt { get; set; }
}

[Event("ThawCancelled")]
internal sealed class ThawCancelledEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2, true)]
    public string Receiver { get; set; } = string.Empty;
}

/// <summary>A payer's withdrawal from the escrow (not the staking contract's <c>Withdrawn</c>).</summary>
[Event("Withdrawn")]
internal sealed class EscrowWithdrawnEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2, true)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }

    [Parameter("uint256", "balance", 4, false)]
    public BigInteger Balance { get; set; }
}

[Event("SignerAuthorized")]
internal sealed class SignerAuthorizedEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "signer", 2, true)]
    public string Signer { get; set; } = string.Empty;
}

[Event("SignerRevoked")]
internal sealed class SignerRevokedEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "signer", 2, true)]
    public string Signer { get; set; } = string.Empty;

    [Parameter("uint256", "validUntil", 3, false)]
    public BigInteger ValidUntil { get; set; }
}

[Event("SharesSet")]
internal sealed class SharesSetEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "owner", 3, true)]
    public string Owner { get; set; } = string.Empty;

    [Parameter("uint16", "hostBps", 4, false)]
    public ushort HostBps { get; set; }

    [Parameter("uint16", "stakersBps", 5, false)]
    public ushort StakersBps { get; set; }

    [Parameter("uint16", "ownerBps", 6, false)]
    public ushort OwnerBps { get; set; }

    /// <summary>When the split starts to apply: the thaw period after it was set.</summary>
    [Parameter("uint256", "effectiveFrom", 7, false)]
    public BigInteger EffectiveFrom { get; set; }
}

/// <summary>
/// A voucher paid. The event carries the three parts only: the amount is their sum, and the owner
/// paid is the registry's owner of the module at that block (NameClaimed, NameTransferred).
/// </summary>
[Event("Redeemed")]
internal sealed class RedeemedEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2, true)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("bytes32", "module", 3, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "cumulativeAmount", 4, false)]
    public BigInteger CumulativeAmount { get; set; }

    /// <summary>The owner's share, plus the stakers' when no stake counted on the module.</summary>
    [Parameter("uint256", "ownerAmount", 5, false)]
    public BigInteger OwnerAmount { get; set; }

    [Parameter("uint256", "hostAmount", 6, false)]
    public BigInteger HostAmount { get; set; }

    [Parameter("uint256", "stakersAmount", 7, false)]
    public BigInteger StakersAmount { get; set; }

    /// <summary>What the voucher paid: the increase of its cumulative amount over the one redeemed before.</summary>
    public BigInteger Amount => OwnerAmount + HostAmount + StakersAmount;
}

[Event("RedeemSkipped")]
internal sealed class RedeemSkippedEvent : IEventDTO
{
    [Parameter("address", "payer", 1, true)]
    public string Payer { get; set; } = string.Empty;

    [Parameter("address", "receiver", 2, true)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("bytes32", "module", 3, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "index", 4, false)]
    public BigInteger Index { get; set; }

    [Parameter("uint256", "cumulativeAmount", 5, false)]
    public BigInteger CumulativeAmount { get; set; }

    [Parameter("uint8", "reason", 6, false)]
    public byte Reason { get; set; }
}

[Error("InsufficientBalance")]
internal sealed class InsufficientBalanceError
{
    [Parameter("uint256", "requested", 1)]
    public BigInteger Requested { get; set; }

    [Parameter("uint256", "available", 2)]
    public BigInteger Available { get; set; }
}

[Error("NothingThawing")]
internal sealed class NothingThawingError;

[Error("ThawNotOver")]
internal sealed class ThawNotOverError
{
    [Parameter("uint256", "thawEndsAt", 1)]
    public BigInteger ThawEndsAt { get; set; }

    [Parameter("uint256", "nowTime", 2)]
    public BigInteger NowTime { get; set; }
}

[Error("InvalidSigner")]
internal sealed class InvalidSignerError
{
    [Parameter("address", "signer", 1)]
    public string Signer { get; set; } = string.Empty;
}

[Error("SignerAlreadyAuthorized")]
internal sealed class SignerAlreadyAuthorizedError
{
    [Parameter("address", "signer", 1)]
    public string Signer { get; set; } = string.Empty;
}

[Error("SignerNotAuthorized")]
internal sealed class SignerNotAuthorizedError
{
    [Parameter("address", "signer", 1)]
    public string Signer { get; set; } = string.Empty;
}

[Error("LengthMismatch")]
internal sealed class LengthMismatchError
{
    [Parameter("uint256", "vouchers", 1)]
    public BigInteger Vouchers { get; set; }

    [Parameter("uint256", "signatures", 2)]
    public BigInteger Signatures { get; set; }
}

[Error("NotReceiver")]
internal sealed class NotReceiverError
{
    [Parameter("uint256", "index", 1)]
    public BigInteger Index { get; set; }

    [Parameter("address", "receiver", 2)]
    public string Receiver { get; set; } = string.Empty;

    [Parameter("address", "caller", 3)]
    public string Caller { get; set; } = string.Empty;
}

[Error("UnknownModuleName")]
internal sealed class UnknownModuleNameError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;
}

[Error("NotModuleOwner")]
internal sealed class NotModuleOwnerError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "owner", 2)]
    public string Owner { get; set; } = string.Empty;
}

[Error("HostShareTooLow")]
internal sealed class HostShareTooLowError
{
    [Parameter("uint16", "hostBps", 1)]
    public ushort HostBps { get; set; }

    [Parameter("uint16", "minHostBps", 2)]
    public ushort MinHostBps { get; set; }
}

[Error("StakersShareTooHigh")]
internal sealed class StakersShareTooHighError
{
    [Parameter("uint16", "stakersBps", 1)]
    public ushort StakersBps { get; set; }

    [Parameter("uint16", "maxStakersBps", 2)]
    public ushort MaxStakersBps { get; set; }
}

[Error("StakingForAnotherEscrow")]
internal sealed class StakingForAnotherEscrowError
{
    [Parameter("address", "escrow", 1)]
    public string Escrow { get; set; } = string.Empty;
}

[Error("StakeStoppedCounting")]
internal sealed class StakeStoppedCountingError
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Error("SharesOverTotal")]
internal sealed class SharesOverTotalError
{
    [Parameter("uint16", "hostBps", 1)]
    public ushort HostBps { get; set; }

    [Parameter("uint16", "stakersBps", 2)]
    public ushort StakersBps { get; set; }
}
