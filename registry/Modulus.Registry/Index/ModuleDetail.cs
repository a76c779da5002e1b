namespace Modulus.Registry.Index;

/// <summary>One module with everything the index holds about it.</summary>
/// <param name="Summary">What search lists.</param>
/// <param name="NameHash">keccak256 of the name, 64 lowercase hex digits: how the staking contract keys the module.</param>
/// <param name="ClaimedBlock">The block the name was claimed in.</param>
/// <param name="Versions">Every published version, highest precedence first.</param>
/// <param name="Hosts">Every announced host, by version (highest first), then address.</param>
/// <param name="Stakes">Every staker with stake left, largest first.</param>
public sealed record ModuleDetail(
    ModuleSummary Summary,
    string NameHash,
    long ClaimedBlock,
    IReadOnlyList<IndexedVersion> Versions,
    IReadOnlyList<IndexedHost> Hosts,
    IReadOnlyList<IndexedStake> Stakes);
