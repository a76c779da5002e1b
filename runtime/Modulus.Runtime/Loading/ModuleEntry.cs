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
            // A token bucket per caller: a burst of up to one second's worth, refilled one call at a time.
            var period = TimeSpan.FromSeconds(1 / limits.RatePerCaller);
            var burst = Math.Max(1, (int)limits.RatePerCaller);
            CallerLimiter = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        }
    }

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
