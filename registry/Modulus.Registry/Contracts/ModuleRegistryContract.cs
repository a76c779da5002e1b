using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Modulus.Registry.Contracts;

internal sealed class ModuleRegistryDeployment() : ContractDeploymentMessage(ContractArtifacts.ModuleRegistry);

[Function("commitmentOf", "bytes32")]
internal sealed class CommitmentOfFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "claimant", 2)]
    public string Claimant { get; set; } = string.Empty;

    [Parameter("bytes32", "salt", 3)]
    public byte[] Salt { get; set; } = [];
}

[Function("commitName")]
internal sealed class CommitNameFunction : FunctionMessage
{
    [Parameter("bytes32", "commitment", 1)]
    public byte[] Commitment { get; set; } = [];
}

/// <summary>A committer's commitment: kept per committer, so another account sending the same hash leaves it as it was.</summary>
[Function("commitments", typeof(CommitmentOutput))]
internal sealed class CommitmentsFunction : FunctionMessage
{
    [Parameter("address", "committer", 1)]
    public string Committer { get; set; } = string.Empty;

    [Parameter("bytes32", "commitment", 2)]
    public byte[] Commitment { get; set; } = [];
}

[FunctionOutput]
internal sealed class CommitmentOutput : IFunctionOutputDTO
{
    /// <summary>The block of the commit; 0 when there is none.</summary>
    [Parameter("uint64", "blockNumber", 1)]
    public ulong BlockNumber { get; set; }

    [Parameter("uint64", "timestamp", 2)]
    public ulong Timestamp { get; set; }
}

[Function("claimName")]
internal sealed class ClaimNameFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("bytes32", "salt", 2)]
    public byte[] Salt { get; set; } = [];
}

[Function("transferName")]
internal sealed class TransferNameFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "to", 2)]
    public string To { get; set; } = string.Empty;
}

[Function("publish")]
internal sealed class PublishFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;

    [Parameter("bytes32", "contentHash", 3)]
    public byte[] ContentHash { get; set; } = [];

    [Parameter("string", "packageUri", 4)]
    public string PackageUri { get; set; } = string.Empty;
}

[Function("deprecate")]
internal sealed class DeprecateFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;

    [Parameter("string", "reason", 3)]
    public string Reason { get; set; } = string.Empty;
}

[Function("announce")]
internal sealed class AnnounceFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;

    [Parameter("string", "endpoint", 3)]
    public string Endpoint { get; set; } = string.Empty;
}

[Function("withdraw")]
internal sealed class WithdrawHostFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;
}

[Function("ownerOf", "address")]
internal sealed class OwnerOfFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;
}

/// <summary>The owner by keccak256(name), as the call escrow asks on every redemption.</summary>
[Function("ownerOfHash", "address")]
internal sealed class OwnerOfHashFunction : FunctionMessage
{
    [Parameter("bytes32", "nameHash", 1)]
    public byte[] NameHash { get; set; } = [];
}

[Function("getVersion", typeof(VersionOutput))]
internal sealed class GetVersionFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;
}

[FunctionOutput]
internal sealed class VersionOutput : IFunctionOutputDTO
{
    [Parameter("bytes32", "contentHash", 1)]
    public byte[] ContentHash { get; set; } = [];

    [Parameter("string", "packageUri", 2)]
    public string PackageUri { get; set; } = string.Empty;

    [Parameter("uint64", "publishedAt", 3)]
    public ulong PublishedAt { get; set; }

    [Parameter("bool", "deprecated", 4)]
    public bool Deprecated { get; set; }
}

[Function("versions", "string[]")]
internal sealed class VersionsFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;
}

[Function("hostEndpoint", "string")]
internal sealed class HostEndpointFunction : FunctionMessage
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;

    [Parameter("address", "host", 3)]
    public string Host { get; set; } = string.Empty;
}

[Function("moduleCount", "uint256")]
internal sealed class ModuleCountFunction : FunctionMessage;

[Event("NameClaimed")]
internal sealed class NameClaimedEvent : IEventDTO
{
    [Parameter("bytes32", "nameHash", 1, true)]
    public byte[] NameHash { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "owner", 3, true)]
    public string Owner { get; set; } = string.Empty;
}

[Event("VersionPublished")]
internal sealed class VersionPublishedEvent : IEventDTO
{
    [Parameter("bytes32", "nameHash", 1, true)]
    public byte[] NameHash { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 3, false)]
    public string Version { get; set; } = string.Empty;

    [Parameter("bytes32", "contentHash", 4, false)]
    public byte[] ContentHash { get; set; } = [];

    [Parameter("string", "packageUri", 5, false)]
    public string PackageUri { get; set; } = string.Empty;
}

[Event("HostAnnounced")]
internal sealed class HostAnnouncedEvent : IEventDTO
{
    [Parameter("bytes32", "nameHash", 1, true)]
    public byte[] NameHash { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 3, false)]
    public string Version { get; set; } = string.Empty;

    [Parameter("address", "host", 4, true)]
    public string Host { get; set; } = string.Empty;

    [Parameter("string", "endpoint", 5, false)]
    public string Endpoint { get; set; } = string.Empty;
}

[Error("NameTaken")]
internal sealed class NameTakenError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;
}

[Error("InvalidName")]
internal sealed class InvalidNameError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;
}

[Error("NoCommitment")]
internal sealed class NoCommitmentError;

[Error("CommitmentTooNew")]
internal sealed class CommitmentTooNewError
{
    [Parameter("uint256", "committedAt", 1)]
    public BigInteger CommittedAt { get; set; }

    [Parameter("uint256", "revealableAt", 2)]
    public BigInteger RevealableAt { get; set; }
}

[Error("NotOwner")]
internal sealed class NotOwnerError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "owner", 2)]
    public string Owner { get; set; } = string.Empty;
}

[Error("UnknownName")]
internal sealed class UnknownNameError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;
}

[Error("VersionExists")]
internal sealed class VersionExistsError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;
}

[Error("UnknownVersion")]
internal sealed class UnknownVersionError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;
}

[Error("EmptyContentHash")]
internal sealed class EmptyContentHashError;

[Error("NotAnnounced")]
internal sealed class NotAnnouncedError
{
    [Parameter("string", "name", 1)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 2)]
    public string Version { get; set; } = string.Empty;

    [Parameter("address", "host", 3)]
    public string Host { get; set; } = string.Empty;
}

[Error("CommitmentExpired")]
internal sealed class CommitmentExpiredError
{
    /// <summary>The commit's block timestamp.</summary>
    [Parameter("uint256", "committedAt", 1)]
    public BigInteger CommittedAt { get; set; }

    [Parameter("uint256", "expiredAt", 2)]
    public BigInteger ExpiredAt { get; set; }
}

[Error("InvalidVersion")]
internal sealed class InvalidVersionError
{
    [Parameter("string", "version", 1)]
    public string Version { get; set; } = string.Empty;
}

[Error("EmptyEndpoint")]
internal sealed class EmptyEndpointError;

[Error("ZeroAddress")]
internal sealed class ZeroAddressError;

[Event("NameCommitted")]
internal sealed class NameCommittedEvent : IEventDTO
{
    [Parameter("bytes32", "commitment", 1, true)]
    public byte[] Commitment { get; set; } = [];

    [Parameter("address", "committer", 2, true)]
    public string Committer { get; set; } = string.Empty;
}

[Event("NameTransferred")]
internal sealed class NameTransferredEvent : IEventDTO
{
    [Parameter("bytes32", "nameHash", 1, true)]
    public byte[] NameHash { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("address", "from", 3, true)]
    public string From { get; set; } = string.Empty;

    [Parameter("address", "to", 4, true)]
    public string To { get; set; } = string.Empty;
}

[Event("VersionDeprecated")]
internal sealed class VersionDeprecatedEvent : IEventDTO
{
    [Parameter("bytes32", "nameHash", 1, true)]
    public byte[] NameHash { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 3, false)]
    public string Version { get; set; } = string.Empty;

    [Parameter("string", "reason", 4, false)]
    public string Reason { get; set; } = string.Empty;
}

[Event("HostWithdrawn")]
internal sealed class HostWithdrawnEvent : IEventDTO
{
    [Parameter("bytes32", "nameHash", 1, true)]
    public byte[] NameHash { get; set; } = [];

    [Parameter("string", "name", 2, false)]
    public string Name { get; set; } = string.Empty;

    [Parameter("string", "version", 3, false)]
    public string Version { get; set; } = string.Empty;

    [Parameter("address", "host", 4, true)]
    public string Host { get; set; } = string.Empty;
}
