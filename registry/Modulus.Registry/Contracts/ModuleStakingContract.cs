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

internal sealed class ModuleStakingDeployment() : ContractDeploymentMessage(ContractArtifacts.ModuleStaking)
{
    [Parameter("address", "token_", 1)]
    public string Token { get; set; } = string.Empty;

    [Parameter("address", "registry_", 2)]
    public string Registry { get; set; } = string.Empty;

    [Parameter("uint256", "cooldown_", 3)]
    public BigInteger Cooldown { get; set; }

    /// <summary>The call escrow, the only account whose <c>credit</c> the staking contract takes:
    /// deployed next, at an address computed beforehand (see <see cref="Chain.RegistryDeployer"/>).</summary>
    [Parameter("address", "escrow_", 4)]
    public string Escrow { get; set; } = string.Empty;
}

[Function("stake")]
internal sealed class StakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("requestUnstake")]
internal sealed class RequestUnstakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("withdraw")]
internal sealed class WithdrawStakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("vote")]
internal sealed class VoteFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("uint8", "direction", 2)]
    public byte Direction { get; set; }
}

[Function("position", typeof(PositionOutput))]
internal sealed class PositionFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2)]
    public string Staker { get; set; } = string.Empty;
}

[FunctionOutput]
internal sealed class PositionOutput : IFunctionOutputDTO
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
internal sealed class VoteOfFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "voter", 2)]
    public string Voter { get; set; } = string.Empty;
}

[FunctionOutput]
internal sealed class VoteOutput : IFunctionOutputDTO
{
    [Parameter("uint8", "direction", 1)]
    public byte Direction { get; set; }

    [Parameter("uint256", "weight", 2)]
    public BigInteger Weight { get; set; }
}

[Function("totalStake", "uint256")]
internal sealed class TotalStakeFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("upWeight", "uint256")]
internal sealed class UpWeightFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("downWeight", "uint256")]
internal sealed class DownWeightFunction : FunctionMessage
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Function("totalHeld", "uint256")]
internal sealed class TotalHeldFunction : FunctionMessage;

[Event("Staked")]
internal sealed class StakedEvent : IEventDTO
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
internal sealed class VotedEvent : IEventDTO
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
internal sealed class UnknownModuleError
{
    [Parameter("bytes32", "module", 1)]
    public byte[] Module { get; set; } = [];
}

[Error("ZeroAmount")]
internal sealed class ZeroAmountError;

[Error("InsufficientStake")]
internal sealed class InsufficientStakeError
{
    [Parameter("uint256", "requested", 1)]
    public BigInteger Requested { get; set; }

    [Parameter("uint256", "available", 2)]
    public BigInteger Available { get; set; }
}

[Error("NothingToWithdraw")]
internal sealed class NothingToWithdrawError;

[Error("CooldownNotOver")]
internal sealed class CooldownNotOverError
{
    [Parameter("uint256", "unlocksAt", 1)]
    public BigInteger UnlocksAt { get; set; }

    [Parameter("uint256", "nowTime", 2)]
    public BigInteger NowTime { get; set; }
}

[Error("NoStake")]
internal sealed class NoStakeError;

[Error("VoteUnchanged")]
internal sealed class VoteUnchangedError
{
    [Parameter("uint8", "direction", 1)]
    public byte Direction { get; set; }
}

[Event("UnstakeRequested")]
internal sealed class UnstakeRequestedEvent : IEventDTO
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
internal sealed class WithdrawnEvent : IEventDTO
{
    [Parameter("bytes32", "module", 1, true)]
    public byte[] Module { get; set; } = [];

    [Parameter("address", "staker", 2, true)]
    public string Staker { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 3, false)]
    public BigInteger Amount { get; set; }
}
