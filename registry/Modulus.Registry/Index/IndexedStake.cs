using System.Numerics;

namespace Modulus.Registry.Index;

/// <summary>One staker's stake on a module (counting or not yet counting; unstaking tokens excluded).</summary>
public sealed record IndexedStake(string Staker, BigInteger Stake);
