using System.Collections.Concurrent;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Modulus.Modules;

namespace Modulus.Registry.Chain;

/// <summary>
/// Access mode "stake" answered by the staking contract: a caller's counting stake on the module
/// (tokens staked in the current block do not count yet, as for votes, so a flash loan opens nothing).
/// </summary>
/// <remarks>
/// Answers are cached for <c>maxAge</c> per module and caller: a call must not wait for the chain
/// each time, and a stake is not a thing that changes between two calls a second apart. A chain
/// that does not answer is logged and reported as "cannot tell", which the access guard refuses.
/// </remarks>
public sealed partial class ChainStakeOracle(RegistryContracts contracts, TimeSpan maxAge, TimeProvider clock, ILogger<ChainStakeOracle> logger) : IStakeOracle
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Module, string Caller), (BigInteger Stake, DateTimeOffset At)> _cache = new();

    /// <inheritdoc />
    public async ValueTask<BigInteger?> GetStakeAsync(string module, string caller, CancellationToken cancellationToken)
    {
        var key = (module, caller.ToLowerInvariant());
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && now - cached.At < maxAge)
        {
            return cached.Stake;
        }

        try
        {
            var position = await contracts.PositionAsync(module, caller).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_cache.Count >= MaxEntries)
            {
                // Bounded: a flood of distinct callers must not grow the host's memory.
                _cache.Clear();
            }

            _cache[key] = (position.Counting, now);
            return position.Counting;
        }
        catch (Exception ex) when (ex is HttpRequestException or Nethereum.JsonRpc.Client.RpcClientUnknownException or Nethereum.JsonRpc.Client.RpcClientTimeoutException or Nethereum.JsonRpc.Client.RpcResponseException)
        {
            LogChainUnavailable(logger, module, caller, ex.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read {Caller}'s stake on {Module} from the chain ({Reason}); the call is refused")]
    private static partial void LogChainUnavailable(ILogger logger, string module, string caller, string reason);
}
