using System.Numerics;
using LiteDB;

namespace Modulus.Registry.Index;

public sealed partial class RegistryIndex
{
    /// <summary>
    /// Applies a batch of events and moves the checkpoint to <paramref name="throughBlock"/>, in one
    /// transaction: after a crash the index holds the whole batch or none of it.
    /// </summary>
    /// <param name="events">Every event of the registry and staking contracts in the blocks after the checkpoint through <paramref name="throughBlock"/>, in any order (they are applied by block, then log index).</param>
    /// <param name="throughBlock">The last block the batch covers, events or not.</param>
    /// <param name="throughBlockHash">That block's hash, kept to notice later that the chain no longer has it (a reorganization or a reset dev chain); null if unknown.</param>
    /// <remarks>Events at or before the checkpoint are skipped, so a batch applied twice (a follower restarted before it could record progress elsewhere) changes nothing.</remarks>
    /// <exception cref="ArgumentException">An event is after <paramref name="throughBlock"/>.</exception>
    public void Apply(IReadOnlyList<RegistryEvent> events, long throughBlock, string? throughBlockHash = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var checkpoint = _catalog.LastBlock;
            if (checkpoint >= throughBlock)
            {
                return;
            }

            var pending = events
                .Where(e => !(e.BlockNumber <= checkpoint))
                .OrderBy(e => e.BlockNumber)
                .ThenBy(e => e.LogIndex)
                .ToList();
            if (pending.Count > 0 && pending[^1].BlockNumber > throughBlock)
            {
                throw new ArgumentException($"An event of block {pending[^1].BlockNumber} is in a batch through block {throughBlock}; it would be skipped when the next batch starts after the checkpoint.", nameof(events));
            }

            // Read packages before the transaction: it keeps the write lock no longer than needed.
            var metadata = new Dictionary<string, PackageMetadata?>(StringComparer.Ordinal);
            foreach (var published in pending.OfType<RegistryEvent.VersionPublished>())
            {
                if (!metadata.ContainsKey(published.ContentHash))
                {
                    metadata[published.ContentHash] = _metadata?.Find(published.ContentHash);
                }
            }

            Write(throughBlock, throughBlockHash, batch =>
            {
                foreach (var e in pending)
                {
                    batch.Apply(e, metadata);
                }
            });
        }
    }

    /// <summary>
    /// Reads the description and tags of a module's versions again from the metadata source (say,
    /// once a package published from elsewhere has been stored); false when the name is not indexed.
    /// </summary>
    public bool RefreshMetadata(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_modules.FindById(name) is null)
            {
                return false;
            }

            var metadata = VersionsOf(name).ToDictionary(v => v["_id"].AsString, v => _metadata?.Find(v[Fields.ContentHash].AsString), StringComparer.Ordinal);
            Write(LastBlock, _lastBlockHash, batch => batch.SetMetadata(name, metadata));
            return true;
        }
    }

    /// <summary>Empties the index, deployment kept, so that it is rebuilt from the deployment block (after a reorganization deeper than the checkpoint, or a reset dev chain).</summary>
    public void Reset()
    {
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            BeginTransaction();
            try
            {
                _modules.DeleteAll();
                _versions.DeleteAll();
                _hosts.DeleteAll();
                _stakes.DeleteAll();
                SaveCheckpoint(null, null);
                Commit(SearchCatalog.Create([], null), null);
            }
            catch
            {
                _db.Rollback();
                throw;
            }
        }
    }

    /// <summary>Runs changes and the checkpoint in one transaction, then publishes the new search snapshot.</summary>
    private void Write(long? throughBlock, string? throughBlockHash, Action<Batch> changes)
    {
        BeginTransaction();
        try
        {
            var batch = new Batch(this);
            changes(batch);
            var summaries = batch.Finish();
            SaveCheckpoint(throughBlock, throughBlockHash);
            Commit(_catalog.With(summaries, throughBlock), throughBlockHash);
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    private void BeginTransaction()
    {
        if (!_db.BeginTrans())
        {
            // LiteDB nests nothing: a transaction left open on this thread would swallow this one.
            throw new InvalidOperationException("A LiteDB transaction is already open on this thread.");
        }
    }

    private void Commit(SearchCatalog next, string? lastBlockHash)
    {
        _commit.EnterWriteLock();
        try
        {
            _db.Commit();
            _catalog = next;
            _lastBlockHash = lastBlockHash;
        }
        finally
        {
            _commit.ExitWriteLock();
        }
    }

    private void SaveCheckpoint(long? block, string? hash)
    {
        var state = _state.FindById(StateId);
        state[Fields.LastBlock] = block is { } b ? new BsonValue(b) : BsonValue.Null;
        state[Fields.LastBlockHash] = Text(hash);
        _state.Update(state);
    }

    private static BsonValue Text(string? value) => value is null ? BsonValue.Null : new BsonValue(value);

    private static BsonArray TagArray(IEnumerable<string> tags) => new(tags.Select(t => new BsonValue(t)));
}
