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

[Event("RewardsDistributed")]
internal sealed class RewardsDistributedEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "from", 2, true)]
    public string From { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }

    [Parameter("uint256", "countingStake", 4, false)]
    public BigInteger CountingStake { get; set; }

    [Parameter("uint256", "accPerToken", 5, false)]
    public BigInteger AccPerToken { get; set; }
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
