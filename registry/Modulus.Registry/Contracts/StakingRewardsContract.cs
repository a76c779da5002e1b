using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Modulus.Registry.Contracts;

// ModuleStaking's rewards: the stakers' share of paid calls, distributed pro rata to counting stake.

[Function("distribute")]
internal sealed class DistributeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

/// <summary>The call escrow the staking contract takes <c>credit</c> from.</summary>
[Function("escrow", "address")]
internal sealed class StakingEscrowFunction : FunctionMessage;

/// <summary>The escrow's distribution; the staking contract refuses it from anyone else (NotEscrow).</summary>
[Function("credit", "bool")]
internal sealed class CreditFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("claim")]
internal sealed class ClaimRewardsFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("claimable", "uint256")]
internal sealed class ClaimableFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2)]
    public string Staker { get; set; } = string.Empty;
}

[Function("countingStake", "uint256")]
internal sealed class CountingStakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

/// <summary>
/// A distribution to a module's stakers (the escrow's <c>credit</c> or anyone's <c>distribute</c>).
/// Who paid is the sender of the same transaction's Transfer to the staking contract, and the
/// accumulator grew by amount * 1e18 / countingStake: the event does not repeat either.
/// </summary>
[Event("RewardsDistributed")]
internal sealed class RewardsDistributedEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2, false)]
    public BigInteger Amount { get; set; }

    [Parameter("uint256", "countingStake", 3, false)]
    public BigInteger CountingStake { get; set; }
}

[Event("RewardsClaimed")]
internal sealed class RewardsClaimedEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2, true)]
    public string Staker { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }
}

[Error("NoCountingStake")]
internal sealed class NoCountingStakeError
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Error("NothingToClaim")]
internal sealed class NothingToClaimError;

[Error("NotEscrow")]
internal sealed class NotEscrowError
{
    [Parameter("address", "caller", 1)]
    public string Caller { get; set; } = string.Empty;
}
