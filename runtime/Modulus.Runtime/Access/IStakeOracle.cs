using System.Numerics;

namespace Modulus.Runtime.Access;

/// <summary>Answers how much a caller has staked on a module: what access mode "stake" checks.</summary>
public interface IStakeOracle
{
    /// <summary>The caller's stake on the module in $GPT base units, or null when no registry can tell.</summary>
    ValueTask<BigInteger?> GetStakeAsync(string module, string caller, CancellationToken cancellationToken);
}

/// <summary>The oracle of a host without a registry: it knows no stakes.</summary>
internal sealed class NoStakeOracle : IStakeOracle
{
    public ValueTask<BigInteger?> GetStakeAsync(string module, string caller, CancellationToken cancellationToken) => ValueTask.FromResult<BigInteger?>(null);
}
