using System.Numerics;

namespace Modulus.Protocol.Payments;

/// <summary>
/// What one paid call costs: the host charges by it and the clients count by it, so both arrive at
/// the same amount from the same items. A metered call (a streaming endpoint of a module with
/// <c>access.price_per_1k_tokens</c>) costs its price per call plus the tokens' price of the items
/// it streamed, each item one token, rounded up to the wei; any other call costs its price.
/// </summary>
/// <param name="Price">The price per call, in wei (<c>access.price</c>).</param>
/// <param name="PricePer1kTokens">The price of 1,000 streamed items, in wei; zero when the call is not metered.</param>
public readonly record struct CallCharge(BigInteger Price, BigInteger PricePer1kTokens)
{
    /// <summary>Whether the call is charged by the item.</summary>
    public bool Metered => !PricePer1kTokens.IsZero;

    /// <summary>What a call that delivered <paramref name="items"/> items costs.</summary>
    public BigInteger For(long items)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        if (!Metered)
        {
            return Price;
        }

        var tokens = items * PricePer1kTokens;
        return Price + ((tokens + 999) / 1000);
    }

    /// <summary>How many items a credit of <paramref name="credit"/> pays for (0 when it does not cover the price); <see cref="long.MaxValue"/> when the call is not metered.</summary>
    public long ItemsCovered(BigInteger credit)
    {
        if (!Metered)
        {
            return long.MaxValue;
        }

        if (credit < Price)
        {
            return 0;
        }

        // For(n) <= credit  <=>  ceil(n * rate / 1000) <= credit - price  <=>  n * rate <= 1000 * (credit - price).
        var items = (credit - Price) * 1000 / PricePer1kTokens;
        return items > long.MaxValue ? long.MaxValue : (long)items;
    }
}
