using System.Numerics;

namespace Modulus.Modules;

/// <summary>
/// Answers how much a caller has staked on a module: what access mode <c>stake</c> checks. A host
/// without a registry knows no stakes; the registry library answers from the staking contract.
/// </summary>
public interface IStakeOracle
{
    /// <summary>The caller's counting stake on the module in $GPT base units, or null when no registry can tell.</summary>
    ValueTask<BigInteger?> GetStakeAsync(string module, string caller, CancellationToken cancellationToken);
}
