namespace Modulus.Registry.Payments;

/// <summary>
/// A token bucket of refused vouchers per caller address: each refusal takes a token, and an address
/// with none left has its paid calls refused before any check (no signature recovery, no chain read)
/// until one grows back. A payer whose vouchers are accepted never spends a token, so honest callers
/// behind the address are not slowed; what is bounded is the work a stream of bad vouchers (forged,
/// for another host, from keys that never deposited) costs the host.
/// </summary>
/// <remarks>
/// At most <c>maxAddresses</c> addresses are tracked; when that many are, buckets that have
/// grown full again (idle addresses) are dropped first, at most once a second, and when none is, a new
/// address is not tracked until one is: memory stays bounded whatever the callers' addresses.
/// </remarks>
internal sealed class RefusalBudget(int perSecond, TimeProvider time, int maxAddresses = RefusalBudget.MaxAddresses)
{
    /// <summary>The most addresses whose refusals are counted at once, by default.</summary>
    internal const int MaxAddresses = 100_000;

    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _sweptAt;

    /// <summary>Whether refusals are counted at all (<see cref="PaymentOptions.MaxRefusedVouchersPerSecond"/> above 0).</summary>
    public bool Enabled => perSecond > 0;

    /// <summary>Addresses tracked now: for tests of the bound.</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Count;
            }
        }
    }

    /// <summary>Why the address's paid calls are refused unchecked now, or null when its vouchers are checked.</summary>
    public string? Exhausted(string? address)
    {
        if (!Enabled || address is null)
        {
            return null;
        }

        lock (_lock)
        {
            if (!_buckets.TryGetValue(address, out var bucket) || Refill(bucket, time.GetTimestamp()) >= 1)
            {
                return null;
            }

            var wait = TimeSpan.FromSeconds((1 - bucket.Tokens) / perSecond);
            return $"address {address} sent more than {perSecond} refused vouchers a second (Modulus:Payments:MaxRefusedVouchersPerSecond), so its paid calls are refused unchecked for {Math.Max(1, (int)Math.Ceiling(wait.TotalMilliseconds))} ms; " +
                $"fix what the last refusal said and retry: {bucket.LastReason}";
        }
    }

    /// <summary>Counts a refused voucher against the address.</summary>
    public void Refused(string? address, string reason)
    {
        if (!Enabled || address is null)
        {
            return;
        }

        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (!_buckets.TryGetValue(address, out var bucket))
            {
                if (_buckets.Count >= maxAddresses && !Sweep(now))
                {
                    return;
                }

                _buckets[address] = bucket = new Bucket { Tokens = perSecond, At = now };
            }

            bucket.Tokens = Refill(bucket, now) - 1;
            bucket.LastReason = reason;
        }
    }

    private double Refill(Bucket bucket, long now)
    {
        bucket.Tokens = Math.Min(perSecond, bucket.Tokens + (time.GetElapsedTime(bucket.At, now).TotalSeconds * perSecond));
        bucket.At = now;
        return bucket.Tokens;
    }

    /// <summary>Drops the buckets that have grown full again; false when none could be dropped.</summary>
    private bool Sweep(long now)
    {
        if (time.GetElapsedTime(_sweptAt, now) < TimeSpan.FromSeconds(1))
        {
            return false;
        }

        _sweptAt = now;
        foreach (var (address, bucket) in _buckets)
        {
            if (Refill(bucket, now) >= perSecond)
            {
                _buckets.Remove(address);
            }
        }

        return _buckets.Count < maxAddresses;
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long At { get; set; }

        public string LastReason { get; set; } = "";
    }
}
