using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Registry.Chain;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Modulus.Registry.Index;

/// <summary>
/// Fills a <see cref="RegistryIndex"/> from the logs of the registry and staking contracts, batch by
/// batch, and keeps it at the chain head. Read-only: it needs no account.
/// </summary>
/// <remarks>
/// Reorganizations: blocks are indexed once <see cref="ChainFollowerOptions.Confirmations"/> deep
/// (0 by default: a development chain does not reorganize by itself). The index records the hash of
/// its last block; before each catch-up the follower asks the chain for that block, and if the chain
/// no longer has it (a reorganization deeper than the confirmations, or a development chain reset or
/// reverted to a snapshot) the index is emptied and rebuilt from the deployment block. Undoing single
/// events instead would need every event's previous state; a rebuild is simpler, and cheap at the size
/// a development chain reaches.
/// </remarks>
public sealed partial class ChainFollower
{
    private readonly IWeb3 _web3;
    private readonly RegistryDeployment _deployment;
    private readonly RegistryIndex _index;
    private readonly ChainFollowerOptions _options;
    private readonly ILogger _logger;
    private readonly RegistryEventDecoder _decoder;

    /// <exception cref="ArgumentOutOfRangeException">BatchBlocks is below 1 or Confirmations below 0.</exception>
    public ChainFollower(IWeb3 web3, RegistryDeployment deployment, RegistryIndex index, ChainFollowerOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(web3);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(index);
        _options = options ?? new ChainFollowerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchBlocks, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.Confirmations, nameof(options));
        _web3 = web3;
        _deployment = deployment;
        _index = index;
        _logger = logger ?? NullLogger.Instance;
        _decoder = new RegistryEventDecoder(deployment);
    }

    /// <summary>
    /// Indexes every block from the checkpoint (or the deployment block) to the chain head, less the
    /// confirmations, one batch and one transaction at a time; a cancelled or failed catch-up keeps
    /// the batches it finished.
    /// </summary>
    /// <param name="progress">Told (last block indexed, head) after each batch.</param>
    /// <param name="cancellationToken">Stops between batches; a batch being applied completes.</param>
    /// <returns>The last block indexed: the head less the confirmations, or the deployment block less one when there is nothing yet.</returns>
    public async Task<long> CatchUpAsync(IProgress<(long Block, long Head)>? progress = null, CancellationToken cancellationToken = default)
    {
        var head = await HeadAsync(cancellationToken).ConfigureAwait(false) - _options.Confirmations;
        await CheckContinuityAsync(cancellationToken).ConfigureAwait(false);
        var start = Math.Max((long)_deployment.Block, (_index.LastBlock ?? long.MinValue + 1) + 1);
        var from = start;
        var size = _options.BatchBlocks;
        var applied = 0;
        while (from <= head)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var to = Math.Min(head, from + size - 1);
            var before = await BlockHashAsync(to, cancellationToken).ConfigureAwait(false);
            FilterLog[] logs;
            try
            {
                logs = await _web3.Eth.Filters.GetLogs.SendRequestAsync(new NewFilterInput
                {
                    Address = [_deployment.Registry, _deployment.Staking],
                    FromBlock = new BlockParameter(new HexBigInteger(from)),
                    ToBlock = new BlockParameter(new HexBigInteger(to)),
                }).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcResponseException ex) when (to > from)
            {
                // Nodes cap a log query by blocks or by results, each with its own message: halve and retry.
                size = (int)Math.Max(1, (to - from + 1) / 2);
                LogRangeRefused(_logger, from, to, size, ex.RpcError?.Message ?? ex.Message);
                continue;
            }

            var after = await BlockHashAsync(to, cancellationToken).ConfigureAwait(false);
            if (before is null || !string.Equals(before, after, StringComparison.OrdinalIgnoreCase))
            {
                // The chain changed under the query; the logs may be of either fork.
                LogBlockChanged(_logger, to);
                continue;
            }

            var events = logs.Select(_decoder.Decode).OfType<RegistryEvent>()
                .OrderBy(e => e.BlockNumber)
                .ThenBy(e => e.LogIndex)
                .ToList();
            _index.Apply(events, to, before);
            applied += events.Count;
            LogBatch(_logger, from, to, events.Count);
            progress?.Report((to, head));
            from = to + 1;
        }

        if (from > start)
        {
            LogCaughtUp(_logger, start, from - 1, applied, _index.ModuleCount);
        }

        return _index.LastBlock ?? (long)_deployment.Block - 1;
    }

    /// <summary>
    /// Catches up, then looks for new blocks every <paramref name="pollInterval"/> until cancelled.
    /// An unreachable node or a failed batch is logged and retried, waiting longer each time (up to a
    /// minute), so the service outlives a node restart.
    /// </summary>
    /// <returns>A task that completes (without throwing) when cancelled.</returns>
    public async Task RunAsync(TimeSpan pollInterval, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = pollInterval;
            try
            {
                await CatchUpAsync(null, cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not (OutOfMemoryException or ObjectDisposedException))
            {
                failures++;
                wait = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, pollInterval.Ticks << Math.Min(failures, 16)));
                LogCatchUpFailed(_logger, ex, failures, wait.TotalSeconds);
            }

            try
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<long> HeadAsync(CancellationToken cancellationToken) =>
        (long)(await _web3.Eth.Blocks.GetBlockNumber.SendRequestAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>The hash of a block, or null when the chain does not have it.</summary>
    private async Task<string?> BlockHashAsync(long number, CancellationToken cancellationToken)
    {
        var block = await _web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber
            .SendRequestAsync(new BlockParameter(new HexBigInteger(number)))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return block?.BlockHash;
    }

    /// <summary>Empties the index when the chain no longer has the block it was indexed through.</summary>
    private async Task CheckContinuityAsync(CancellationToken cancellationToken)
    {
        if (_index.LastBlock is not { } last || _index.LastBlockHash is not { } indexed)
        {
            return;
        }

        var current = await BlockHashAsync(last, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(current, indexed, StringComparison.OrdinalIgnoreCase))
        {
            LogChainChanged(_logger, last, indexed, current ?? "none", (long)_deployment.Block);
            _index.Reset();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Indexed blocks {From}-{To}: {Events} events")]
    private static partial void LogBatch(ILogger logger, long from, long to, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "Indexed blocks {From}-{To}: {Events} events; {Modules} modules in the index")]
    private static partial void LogCaughtUp(ILogger logger, long from, long to, int events, int modules);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node refused logs of blocks {From}-{To} ({Reason}); asking for {Size} blocks at a time")]
    private static partial void LogRangeRefused(ILogger logger, long from, long to, int size, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Block {Block} changed while its logs were read; reading them again")]
    private static partial void LogBlockChanged(ILogger logger, long block);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The chain no longer has block {Block} as indexed (hash {Indexed}, now {Current}): reorganized or reset; rebuilding the index from block {DeploymentBlock}")]
    private static partial void LogChainChanged(ILogger logger, long block, string indexed, string current, long deploymentBlock);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Indexing failed ({Failures} in a row); retrying in {Seconds:0.#} s")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception, int failures, double seconds);
}
