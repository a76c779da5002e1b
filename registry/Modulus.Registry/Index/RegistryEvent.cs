using System.Numerics;
using Modulus.Registry.Contracts;

namespace Modulus.Registry.Index;

/// <summary>
/// One decoded log of the registry or staking contract, as the index applies it. Hex values
/// (name hashes, content hashes) are lowercase without 0x; addresses are EIP-55 checksummed.
/// </summary>
/// <param name="BlockNumber">The block the log is in.</param>
/// <param name="LogIndex">The log's position in its block; with the block, the order events are applied in.</param>
public abstract record RegistryEvent(long BlockNumber, int LogIndex)
{
    /// <summary>A name claimed (revealed) by its first owner.</summary>
    public sealed record NameClaimed(long BlockNumber, int LogIndex, string NameHash, string Name, string Owner)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>A name handed to a new owner.</summary>
    public sealed record NameTransferred(long BlockNumber, int LogIndex, string NameHash, string Name, string From, string To)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>A new, immutable version.</summary>
    public sealed record VersionPublished(long BlockNumber, int LogIndex, string NameHash, string Name, string Version, string ContentHash, string PackageUri)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>A version its owner no longer recommends.</summary>
    public sealed record VersionDeprecated(long BlockNumber, int LogIndex, string NameHash, string Name, string Version, string Reason)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>A host serving a version at an endpoint (a second announcement replaces the endpoint).</summary>
    public sealed record HostAnnounced(long BlockNumber, int LogIndex, string NameHash, string Name, string Version, string Host, string Endpoint)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>A host no longer serving a version.</summary>
    public sealed record HostWithdrawn(long BlockNumber, int LogIndex, string NameHash, string Name, string Version, string Host)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>Tokens staked on a module; <c>Stake</c> is the staker's whole stake on it afterwards, which the index sets.</summary>
    public sealed record Staked(long BlockNumber, int LogIndex, string Module, string Staker, BigInteger Amount, BigInteger Stake)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>
    /// Part of a stake leaving: it stops counting at once, the tokens follow after the cooldown.
    /// <c>Stake</c> is the staker's stake on the module afterwards, which the index sets.
    /// </summary>
    public sealed record UnstakeRequested(long BlockNumber, int LogIndex, string Module, string Staker, BigInteger Amount, BigInteger UnlocksAt, BigInteger Stake)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>Unstaked tokens paid out after the cooldown; changes nothing the index ranks by.</summary>
    public sealed record StakeWithdrawn(long BlockNumber, int LogIndex, string Module, string Staker, BigInteger Amount)
        : RegistryEvent(BlockNumber, LogIndex);

    /// <summary>A vote cast, changed, or capped by an unstake; <c>UpWeight</c> and <c>DownWeight</c> are the module's totals afterwards, which the index sets.</summary>
    public sealed record Voted(long BlockNumber, int LogIndex, string Module, string Voter, VoteDirection Direction, BigInteger Weight, BigInteger UpWeight, BigInteger DownWeight)
        : RegistryEvent(BlockNumber, LogIndex);
}
