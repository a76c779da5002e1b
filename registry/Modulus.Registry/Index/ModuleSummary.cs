using System.Numerics;

namespace Modulus.Registry.Index;

/// <summary>A module as search lists it. Token amounts are in the token's smallest unit (18 decimals).</summary>
/// <param name="Name">The registered name.</param>
/// <param name="Owner">The owner's address (EIP-55).</param>
/// <param name="LatestVersion">What <see cref="RegistryIndex.Resolve"/> picks without a version; null when nothing live is published.</param>
/// <param name="Description">From the module.json of the latest version whose package was at hand; null when none was.</param>
/// <param name="Tags">From the same module.json; empty when none was at hand.</param>
/// <param name="TotalStake">All stake on the module.</param>
/// <param name="UpWeight">The stake voting up.</param>
/// <param name="DownWeight">The stake voting down.</param>
/// <param name="HostCount">Distinct hosts announcing any version.</param>
public sealed record ModuleSummary(
    string Name,
    string Owner,
    string? LatestVersion,
    string? Description,
    IReadOnlyList<string> Tags,
    BigInteger TotalStake,
    BigInteger UpWeight,
    BigInteger DownWeight,
    int HostCount)
{
    /// <summary>For a paid module, its price per call in $GPT (from the same module.json as <see cref="Description"/>); null otherwise or when no package was at hand.</summary>
    public string? Price { get; init; }
}
