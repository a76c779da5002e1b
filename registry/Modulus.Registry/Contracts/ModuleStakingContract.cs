using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Modulus.Registry.Contracts;

/// <summary>A vote's direction, as the contract numbers it.</summary>
public enum VoteDirection : byte
{
    None = 0,
    Up = 1,
    Down = 2,
}

public sealed class ModuleStakingDeployment() : ContractDeploymentMessage(ContractArtifacts.ModuleStaking)
{
    [Parameter("address", "token_", 1)]
    public string Token { get; set; } = string.Empty;

    [Parameter("address", "registry_", 2)]
    public string Registry { get; set; } = string.Empty;

    [Parameter("uint256", "cooldown_", 3)]
    public BigInteger Cooldown { get; set; }
}

[Function("stake")]
public sealed class StakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("requestUnstake")]
public sealed class RequestUnstakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("withdraw")]
public sealed class WithdrawStakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("vote")]
public sealed class VoteFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint8", "direction", 2)]
    public byte Direction { get; set; }
}

[Function("position", typeof(PositionOutput))]
public sealed class PositionFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2)]
    public string Staker { get; set; } = string.Empty;
}

[FunctionOutput]
public sealed class PositionOutput : IFunctionOutputDTO
{
    [Parameter("uint256", "counting", 1)]
    public BigInteger Counting { get; set; }

    [Parameter("uint256", "notYetCounting", 2)]
    public BigInteger NotYetCounting { get; set; }

    [Parameter("uint256", "unstaking", 3)]
    public BigInteger Unstaking { get; set; }

    [Parameter("uint256", "unlocksAt", 4)]
    public BigInteger UnlocksAt { get; set; }
}

[Function("voteOf", typeof(VoteOutput))]
public sealed class VoteOfFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "voter", 2)]
    public string Voter { get; set; } = string.Empty;
}

[FunctionOutput]
public sealed class VoteOutput : IFunctionOutputDTO
{
    [Parameter("uint8", "direction", 1)]
    public byte Direction { get; set; }

    [Parameter("uint256", "weight", 2)]
    public BigInteger Weight { get; set; }
}

[Function("totalStake", "uint256")]
public sealed class TotalStakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("upWeight", "uint256")]
public sealed class UpWeightFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("downWeight", "uint256")]
public sealed class DownWeightFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("totalHeld", "uint256")]
public sealed class TotalHeldFunction : FunctionMessage;

[Event("Staked")]
public sealed class StakedEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2, true)]
    public string Staker { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }

    [Parameter("uint256", "stake", 4, false)]
    public BigInteger Stake { get; set; }
}

[Event("Voted")]
public sealed class VotedEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "voter", 2, true)]
    public string Voter { get; set; } = string.Empty;

    [Parameter("uint8", "direction", 3, false)]
    public byte Direction { get; set; }

    [Parameter("uint256", "weight", 4, false)]
    public BigInteger Weight { get; set; }

    [Parameter("uint256", "upWeight", 5, false)]
    public BigInteger UpWeight { get; set; }

    [Parameter("uint256", "downWeight", 6, false)]
    public BigInteger DownWeight { get; set; }
}

[Error("UnknownModule")]
public sealed class UnknownModuleError
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Error("ZeroAmount")]
public sealed class ZeroAmountError;

[Error("InsufficientStake")]
public sealed class InsufficientStakeError
{
    [Parameter("uint256", "requested", 1)]
    public BigInteger Requested { get; set; }

    [Parameter("uint256", "available", 2)]
    public BigInteger Available { get; set; }
}

[Error("NothingToWithdraw")]
public sealed class NothingToWithdrawError;

[Error("CooldownNotOver")]
public sealed class CooldownNotOverError
{
    [Parameter("uint256", "unlocksAt", 1)]
    public BigInteger UnlocksAt { get; set; }

    [Parameter("uint256", "nowTime", 2)]
    public BigInteger NowTime { get; set; }
}

[Error("NoStake")]
public sealed class NoStakeError;

[Error("VoteUnchanged")]
public sealed class VoteUnchangedError
{
    [Parameter("uint8", "direction", 1)]
    public byte Direction { get; set; }
}

[Event("UnstakeRequested")]
public sealed class UnstakeRequestedEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2, true)]
    public string Staker { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }

    [Parameter("uint256", "unlocksAt", 4, false)]
    public BigInteger UnlocksAt { get; set; }

    [Parameter("uint256", "stake", 5, false)]
    public BigInteger Stake { get; set; }
}

/// <summary>Tokens paid out after the unstake cooldown (the staking contract's <c>Withdrawn</c>, not a host's).</summary>
[Event("Withdrawn")]
public sealed class WithdrawnEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2, true)]
    public string Staker { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }
}
