using System.Threading.RateLimiting;
using Modulus.Runtime.Tree;

namespace Modulus.Runtime.Loading;

/// <summary>
/// A loaded module as the catalog holds it. Reference-counted: the catalog holds one reference and
/// every call in flight another, so a reload retires the old entry and the old code is unloaded
/// only when its last call has finished.
/// </summary>
internal sealed class ModuleEntry
{
    private readonly Func<ModuleEntry, ValueTask> _onReleased;
    private int _references = 1;

    public ModuleEntry(LoadedModule module, Func<ModuleEntry, ValueTask> onReleased)
    {
        Module = module;
        _onReleased = onReleased;
        var limits = module.Source.Manifest.Limits;
        Limiter = limits.MaxConcurrency > 0
            ? new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.MaxConcurrency,
                QueueLimit = limits.MaxQueue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            })
            : null;
        if (limits.RatePerCaller > 0)
        {
            // A token bucket per caller: a burst of up to one second's worth, refilled one call at a
            // time. Signed callers also draw on a bucket of their IP address, SignersPerAddress times
            // as large, so that a fresh key (or random bytes that recover to a random address) per
            // call cannot get around the rate.
            CallerLimiter = PartitionedRateLimiter.Create<string, string>(caller =>
            {
                var rate = limits.RatePerCaller * (caller.StartsWith(SignedAddressPrefix, StringComparison.Ordinal) ? SignersPerAddress : 1);
                return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, (int)rate),
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1 / rate),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        }
    }

    /// <summary>How many signers' rate one IP address may carry (callers behind one NAT, say).</summary>
    public const int SignersPerAddress = 4;

    /// <summary>The partition of the IP-address bucket that signed calls draw on.</summary>
    public const string SignedAddressPrefix = "signed-from:";

    /// <summary>Limits each caller's call rate; null when the module sets no rate.</summary>
    public PartitionedRateLimiter<string>? CallerLimiter { get; }

    public LoadedModule Module { get; }

    public ModuleSource Source => Module.Source;

    /// <summary>Bounds the calls running at once; null when the module sets no limit.</summary>
    public ConcurrencyLimiter? Limiter { get; }

    /// <summary>Takes a reference for a call; false when the entry has already been released.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Drops a reference; the last one unloads the module.</summary>
    public ValueTask ReleaseAsync() => Interlocked.Decrement(ref _references) == 0 ? _onReleased(this) : ValueTask.CompletedTask;
}
