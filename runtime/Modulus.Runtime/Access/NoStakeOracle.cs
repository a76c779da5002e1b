using System.Numerics;
using Modulus.Modules;

namespace Modulus.Runtime.Access;

/// <summary>The oracle of a host without a registry: it knows no stakes.</summary>
internal sealed class NoStakeOracle : IStakeOracle
{
    public ValueTask<BigInteger?> GetStakeAsync(string module, string caller, CancellationToken cancellationToken) => ValueTask.FromResult<BigInteger?>(null);
}
