using System.Numerics;

namespace Modulus.Client;

/// <summary>
/// The cumulative amount (in wei) a payer has paid each host for each module: the amount of its last
/// voucher a host accepted for a call it answered. A paid call signs this plus the call's price.
/// Thread-safe.
/// </summary>
public sealed class PaymentTally
{
    private readonly Dictionary<string, BigInteger> _paid = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, BigInteger> _inFlight = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, BigInteger> _uncertain = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    /// <summary>A tally that starts at nothing paid.</summary>
    public PaymentTally()
    {
    }

    /// <summary>A tally restored from <see cref="Entries"/> and <see cref="Uncertain"/>.</summary>
    public PaymentTally(IEnumerable<KeyValuePair<string, BigInteger>> entries, IEnumerable<KeyValuePair<string, BigInteger>>? uncertain = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var (key, value) in entries)
        {
            _paid[key] = value;
        }

        foreach (var (key, value) in uncertain ?? [])
        {
            _uncertain[key] = value;
        }
    }

    /// <summary>
    /// The prices of calls whose answer never came (the connection broke, the host died): the host may
    /// have served and charged them, or not. When a host then says a voucher does not cover what it
    /// served, the client pays one such call more and tries again, never more than these.
    /// </summary>
    public IReadOnlyDictionary<string, BigInteger> Uncertain
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, BigInteger>(_uncertain.Where(u => !u.Value.IsZero), StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>
    /// Every amount paid, keyed <c>payer host chain escrow module</c> (space-separated), in wei: what a
    /// caller saves to go on paying after a restart.
    /// </summary>
    public IReadOnlyDictionary<string, BigInteger> Entries
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, BigInteger>(_paid, StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>The key of a (payer, host, chain, escrow, module).</summary>
    public static string Key(string payer, string host, ulong chainId, string escrow, string module) =>
        FormattableString.Invariant($"{payer.ToLowerInvariant()} {host.ToLowerInvariant()} {chainId} {escrow.ToLowerInvariant()} {module}");

    /// <summary>What has been paid for <paramref name="key"/>.</summary>
    public BigInteger Paid(string key)
    {
        lock (_gate)
        {
            return _paid.GetValueOrDefault(key);
        }
    }

    /// <summary>Reserves what a call may cost (its price, or a metered call's credit) and returns the cumulative amount its voucher must carry.</summary>
    internal BigInteger Reserve(string key, BigInteger hold)
    {
        lock (_gate)
        {
            var inFlight = _inFlight.GetValueOrDefault(key) + hold;
            _inFlight[key] = inFlight;
            return _paid.GetValueOrDefault(key) + inFlight;
        }
    }

    /// <summary>The call was answered: it cost <paramref name="charged"/> of its <paramref name="hold"/>, which is paid.</summary>
    internal void Settle(string key, BigInteger hold, BigInteger charged)
    {
        lock (_gate)
        {
            _inFlight[key] = _inFlight.GetValueOrDefault(key) - hold;
            _paid[key] = _paid.GetValueOrDefault(key) + charged;
        }
    }

    /// <summary>The call's answer was lost: <paramref name="certain"/> of its hold was surely charged (what arrived of a stream), the rest may or may not have been.</summary>
    internal void Lose(string key, BigInteger hold, BigInteger certain)
    {
        lock (_gate)
        {
            _inFlight[key] = _inFlight.GetValueOrDefault(key) - hold;
            _paid[key] = _paid.GetValueOrDefault(key) + certain;
            _uncertain[key] = _uncertain.GetValueOrDefault(key) + hold - certain;
        }
    }

    /// <summary>
    /// The host says it served more than was paid: count <paramref name="price"/> of the uncertain
    /// amount as paid (a lost call; for a lost metered stream, one call's price of it at a time, or what is left), when there is any.
    /// </summary>
    internal bool Concede(string key, BigInteger price)
    {
        lock (_gate)
        {
            var uncertain = _uncertain.GetValueOrDefault(key);
            if (uncertain.Sign <= 0)
            {
                return false;
            }

            // The last of a lost stream's uncertain credit may be less than a call's price.
            var conceded = BigInteger.Min(uncertain, price);
            _uncertain[key] = uncertain - conceded;
            _paid[key] = _paid.GetValueOrDefault(key) + conceded;
            return true;
        }
    }

    /// <summary>The call failed before it delivered anything, so the host did not charge it.</summary>
    internal void Cancel(string key, BigInteger hold)
    {
        lock (_gate)
        {
            _inFlight[key] = _inFlight.GetValueOrDefault(key) - hold;
        }
    }
}
