using Modulus.Modules;
using System.Globalization;
using System.Numerics;
using LiteDB;
using Modulus.Registry.Chain;

namespace Modulus.Registry.Index;

/// <summary>
/// What the registry's contracts say, indexed for search and resolution: a LiteDB file filled by
/// <see cref="ChainFollower"/> from the contracts' events. The chain stays the source of truth;
/// the file can always be deleted and rebuilt by following the chain again.
/// </summary>
/// <remarks>
/// <para>
/// One instance per file, shared by its writer (the chain follower) and its readers (the gRPC
/// service) in one process. LiteDB runs in direct mode: the engine keeps the file open and is
/// thread-safe, and a reader sees the last committed transaction while a batch is being written.
/// Shared mode would reopen the file and take a named mutex on every operation, which only pays
/// when several processes use one file; here that is refused instead, by an exclusive lock file
/// beside the index (LiteDB's own file sharing is not enforced on Linux).
/// </para>
/// <para>
/// A batch of events and its checkpoint commit in one LiteDB transaction, so a process killed
/// mid-batch leaves the index at the previous checkpoint. Each event sets state rather than
/// adding to it (a staker's stake, a module's vote weights, the existence of a host), so an event
/// applied twice changes nothing.
/// </para>
/// </remarks>
public sealed partial class RegistryIndex : IDisposable
{
    // 2: prefix lookups no longer match '_' as a wildcard; a version 1 file may hold wrong latest
    // versions and host counts, so it is rebuilt.
    private const int SchemaVersion = 2;
    private const string StateId = "index";

    private readonly LiteDatabase _db;
    private readonly FileStream _lock;
    private readonly ILiteCollection<BsonDocument> _modules;
    private readonly ILiteCollection<BsonDocument> _versions;
    private readonly ILiteCollection<BsonDocument> _hosts;
    private readonly ILiteCollection<BsonDocument> _stakes;
    private readonly ILiteCollection<BsonDocument> _state;
    private readonly ILiteCollection<BsonDocument> _uploads;
    private readonly IPackageMetadataSource? _metadata;

    // One writer at a time (Apply, RefreshMetadata, Reset); LiteDB binds a transaction to its thread.
    private readonly Lock _writer = new();

    // Readers that make several queries (Get, Resolve) hold it shared; a commit holds it
    // exclusively, so no reader sees a module from before a batch and its versions from after.
    private readonly ReaderWriterLockSlim _commit = new(LockRecursionPolicy.NoRecursion);

    private volatile SearchCatalog _catalog;
    private volatile string? _lastBlockHash;
    private bool _disposed;

    private RegistryIndex(string path, LiteDatabase db, FileStream fileLock, IPackageMetadataSource? metadata)
    {
        Path = path;
        _db = db;
        _lock = fileLock;
        _metadata = metadata;
        _modules = db.GetCollection(Collections.Modules);
        _versions = db.GetCollection(Collections.Versions);
        _hosts = db.GetCollection(Collections.Hosts);
        _stakes = db.GetCollection(Collections.Stakes);
        _state = db.GetCollection(Collections.State);
        _uploads = db.GetCollection(Collections.Uploads);
        _catalog = SearchCatalog.Create([], null);
    }

    /// <summary>The index file.</summary>
    public string Path { get; }

    /// <summary>The last block whose events are all applied; null before the first batch.</summary>
    public long? LastBlock => _catalog.LastBlock;

    /// <summary>The hash of <see cref="LastBlock"/> as the follower saw it, to notice a reorganized or reset chain; null when not recorded.</summary>
    public string? LastBlockHash => _lastBlockHash;

    /// <summary>How many modules are indexed.</summary>
    public int ModuleCount => _catalog.Count;

    /// <summary>Opens (or creates) the index of a deployment.</summary>
    /// <param name="path">The LiteDB file; its folder is created if missing.</param>
    /// <param name="deployment">The contracts it indexes.</param>
    /// <param name="metadata">Where descriptions and tags come from; without one, modules have none.</param>
    /// <exception cref="IndexDeploymentMismatchException">The file indexes another chain or other contracts.</exception>
    /// <exception cref="IOException">Another index instance or process has the file open.</exception>
    public static RegistryIndex Open(string path, RegistryDeployment deployment, IPackageMetadataSource? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(deployment);
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        var fileLock = AcquireLock(full);
        LiteDatabase? db = null;
        try
        {
            // Ordinal collation: versions differ by case (1.0.0-RC.1 and 1.0.0-rc.1 are two versions),
            // and the default collation ignores case. It is fixed when the file is created.
            db = new LiteDatabase(new ConnectionString { Filename = full, Connection = ConnectionType.Direct, Collation = Collation.Binary });
            var index = new RegistryIndex(full, db, fileLock, metadata);
            index.Initialize(deployment);
            return index;
        }
        catch
        {
            db?.Dispose();
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>Modules matching a text and/or tag, ranked (ties by name), one page.</summary>
    /// <remarks>Answered from an in-memory snapshot of the last committed batch; see <see cref="SearchCatalog"/> for why.</remarks>
    public IReadOnlyList<ModuleSummary> Search(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _catalog.Search(query);
    }

    /// <summary>One module with its versions, hosts and stakes; null when no such name is indexed.</summary>
    public ModuleDetail? Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        _commit.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var module = _modules.FindById(name);
            if (module is null)
            {
                return null;
            }

            var versions = VersionsOf(name).Select(ToVersion).OrderByDescending(v => v.Version, ModuleVersion.Precedence).ToArray();
            var hosts = _hosts.Find(Queries.Under(name)).Select(ToHost)
                .OrderByDescending(h => h.Version, ModuleVersion.Precedence)
                .ThenBy(h => h.Host, StringComparer.Ordinal)
                .ToArray();
            var stakes = _stakes.Find(Queries.Equal(Fields.Module, module[Fields.NameHash])).Select(ToStake)
                .OrderByDescending(s => s.Stake)
                .ThenBy(s => s.Staker, StringComparer.Ordinal)
                .ToArray();
            return new ModuleDetail(ToSummary(module), module[Fields.NameHash].AsString, module[Fields.ClaimedBlock].AsInt64, versions, hosts, stakes);
        }
        finally
        {
            _commit.ExitReadLock();
        }
    }

    /// <summary>
    /// NAME@VERSION, or NAME alone: the latest version that is not deprecated, by semantic-version
    /// precedence, preferring releases to prereleases (a prerelease is picked only when no release
    /// is live), as package managers do. Null when nothing matches.
    /// </summary>
    public ResolvedModule? Resolve(string name, string? version)
    {
        ArgumentNullException.ThrowIfNull(name);
        _commit.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (version is null)
            {
                // The module keeps its latest version, recomputed whenever its versions change.
                version = _modules.FindById(name)?[Fields.LatestVersion] is { IsString: true } latest ? latest.AsString : null;
                if (version is null)
                {
                    return null;
                }
            }

            var found = _versions.FindById(Keys.Version(name, version));
            if (found is null)
            {
                return null;
            }

            var hosts = _hosts.Find(Queries.Under(Keys.Version(name, version))).Select(ToHost)
                .OrderBy(h => h.Host, StringComparer.Ordinal)
                .ToArray();
            var published = ToVersion(found);
            return new ResolvedModule(name, published.Version, published.ContentHash, published.PackageUri, published.Deprecated, hosts);
        }
        finally
        {
            _commit.ExitReadLock();
        }
    }

    /// <summary>The content hashes of every published version (deprecated ones too: they can still be installed).</summary>
    public IReadOnlySet<string> PublishedContentHashes()
    {
        _commit.EnterReadLock();
        try
        {
            return _versions.FindAll().Select(v => v[Fields.ContentHash].AsString.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        }
        finally
        {
            _commit.ExitReadLock();
        }
    }

    public void Dispose()
    {
        lock (_writer)
        {
            _commit.EnterWriteLock();
            try
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _db.Dispose();
                _lock.Dispose();
            }
            finally
            {
                _commit.ExitWriteLock();
            }
        }
    }

    /// <summary>
    /// Holds <c>PATH.lock</c> exclusively while the index is open. LiteDB's direct mode means one
    /// engine per file, but on Linux nothing stops a second one (its file sharing is advisory), and
    /// two engines writing one file corrupt it.
    /// </summary>
    private static FileStream AcquireLock(string path)
    {
        try
        {
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException ex)
        {
            throw new IOException($"The registry index {path} is already open (another `modulus registry serve`, or another index in this process); stop it, or use another data folder.", ex);
        }
    }

    private void Initialize(RegistryDeployment deployment)
    {
        var chainId = deployment.ChainId.ToString(CultureInfo.InvariantCulture);
        var state = _state.FindById(StateId);
        if (state is not null && state[Fields.Schema].AsInt32 < SchemaVersion)
        {
            // The index is derived from the chain: an older layout is dropped and followed again.
            foreach (var collection in new[] { Collections.Modules, Collections.Versions, Collections.Hosts, Collections.Stakes, Collections.State })
            {
                _db.DropCollection(collection);
            }

            state = null;
        }

        if (state is null)
        {
            state = new BsonDocument
            {
                ["_id"] = StateId,
                [Fields.Schema] = SchemaVersion,
                [Fields.ChainId] = chainId,
                [Fields.Registry] = deployment.Registry.ToLowerInvariant(),
                [Fields.Staking] = deployment.Staking.ToLowerInvariant(),
                [Fields.DeploymentBlock] = (long)deployment.Block,
                [Fields.LastBlock] = BsonValue.Null,
                [Fields.LastBlockHash] = BsonValue.Null,
            };
            _state.Insert(state);
        }
        else
        {
            if (state[Fields.Schema].AsInt32 != SchemaVersion)
            {
                throw new InvalidOperationException($"The registry index {Path} was written by a newer Modulus (layout version {state[Fields.Schema].AsInt32}; this one reads up to {SchemaVersion}). Use that Modulus, or delete the file: it is rebuilt from the chain.");
            }

            var indexedChain = state[Fields.ChainId].AsString;
            var indexedRegistry = state[Fields.Registry].AsString;
            var indexedStaking = state[Fields.Staking].AsString;
            if (indexedChain != chainId
                || !string.Equals(indexedRegistry, deployment.Registry, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(indexedStaking, deployment.Staking, StringComparison.OrdinalIgnoreCase))
            {
                throw new IndexDeploymentMismatchException(
                    $"The registry index {Path} was built for chain {indexedChain}, registry {indexedRegistry}, staking {indexedStaking}, "
                    + $"not for chain {chainId}, registry {deployment.Registry.ToLowerInvariant()}, staking {deployment.Staking.ToLowerInvariant()}. "
                    + "Point the registry at that index's deployment, or use another data folder (or delete this file) to index this one.");
            }
        }

        _modules.EnsureIndex(Fields.NameHash, unique: true);
        _stakes.EnsureIndex(Fields.Module);
        _uploads.EnsureIndex(Fields.Uploader);
        _lastBlockHash = state[Fields.LastBlockHash].IsString ? state[Fields.LastBlockHash].AsString : null;
        var lastBlock = state[Fields.LastBlock].IsNumber ? state[Fields.LastBlock].AsInt64 : (long?)null;
        _catalog = SearchCatalog.Create(_modules.FindAll().Select(ToSummary), lastBlock);
    }

    private IEnumerable<BsonDocument> VersionsOf(string name) => _versions.Find(Queries.Under(name));

    private static ModuleSummary ToSummary(BsonDocument module) => new ModuleSummary(
        module["_id"].AsString,
        module[Fields.Owner].AsString,
        NullableString(module[Fields.LatestVersion]),
        NullableString(module[Fields.Description]),
        module[Fields.Tags].AsArray.Select(t => t.AsString).ToArray(),
        Amount(module[Fields.TotalStake]),
        Amount(module[Fields.UpWeight]),
        Amount(module[Fields.DownWeight]),
        module[Fields.HostCount].AsInt32)
    {
        Price = NullableString(module[Fields.Price]),
    };

    private static IndexedVersion ToVersion(BsonDocument version) => new(
        version[Fields.Version].AsString,
        version[Fields.ContentHash].AsString,
        version[Fields.PackageUri].AsString,
        version[Fields.PublishedBlock].AsInt64,
        version[Fields.Deprecated].AsBoolean,
        NullableString(version[Fields.DeprecationReason]));

    private static IndexedHost ToHost(BsonDocument host) => new(host[Fields.Version].AsString, host[Fields.Host].AsString, host[Fields.Endpoint].AsString);

    private static IndexedStake ToStake(BsonDocument stake) => new(stake[Fields.Staker].AsString, Amount(stake[Fields.Stake]));

    private static string? NullableString(BsonValue value) => value.IsString ? value.AsString : null;

    // uint256 does not fit a BSON number: amounts are stored as exact decimal strings.
    private static BigInteger Amount(BsonValue value) => BigInteger.Parse(value.AsString, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string Amount(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Collection names.</summary>
    private static class Collections
    {
        public const string Modules = "modules";
        public const string Versions = "versions";
        public const string Hosts = "hosts";
        public const string Stakes = "stakes";
        public const string State = "state";

        /// <summary>The upload quota's charges: the service's own record, not the chain's (see <see cref="UploadsBy"/>).</summary>
        public const string Uploads = "uploads";
    }

    /// <summary>Document ids. Names cannot contain '@' and versions cannot either, so the ids are unambiguous and a module's rows share a prefix.</summary>
    private static class Keys
    {
        public const string Separator = "@";

        public static string Version(string name, string version) => name + Separator + version;

        public static string Host(string name, string version, string host) => Version(name, version) + Separator + host.ToLowerInvariant();

        public static string Stake(string nameHash, string staker) => nameHash + Separator + staker.ToLowerInvariant();
    }

    /// <summary>
    /// The queries that take a name or hash, with the value as a parameter. LiteDB compiles each
    /// distinct expression text to a delegate and keeps it in a static cache for the life of the
    /// process, so a value written into the text (as <c>Query.EQ</c> and <c>Query.StartsWith</c>
    /// write it) costs a compilation per new value, about half a millisecond, and memory that is
    /// never returned. And <c>Query.StartsWith</c> is a LIKE, where the '_' that names may contain
    /// matches any character: the rows of <c>a_b</c> would include those of <c>a-b</c> and <c>axb</c>.
    /// </summary>
    private static class Queries
    {
        // Every id under KEY@ lies in [KEY@, KEY + the character after '@'] in ordinal order, and no
        // other id does: the upper bound itself has one separator fewer than any id it could be.
        private static readonly string After = ((char)(Keys.Separator[0] + 1)).ToString();

        /// <summary>Rows whose id starts with KEY@: a module's versions or hosts (KEY = name), or a version's hosts (KEY = name@version).</summary>
        public static BsonExpression Under(string key) => BsonExpression.Create("$._id BETWEEN @0 AND @1", key + Keys.Separator, key + After);

        /// <summary>Rows whose field (one of <see cref="Fields"/>) equals the value.</summary>
        public static BsonExpression Equal(string field, BsonValue value) => BsonExpression.Create("$." + field + " = @0", value);
    }

    /// <summary>Field names.</summary>
    private static class Fields
    {
        public const string Schema = "schema";
        public const string ChainId = "chainId";
        public const string Registry = "registry";
        public const string Staking = "staking";
        public const string DeploymentBlock = "deploymentBlock";
        public const string LastBlock = "lastBlock";
        public const string LastBlockHash = "lastBlockHash";
        public const string Name = "name";
        public const string NameHash = "nameHash";
        public const string Owner = "owner";
        public const string ClaimedBlock = "claimedBlock";
        public const string Description = "description";

        public const string Price = "price";
        public const string Tags = "tags";
        public const string TotalStake = "totalStake";
        public const string UpWeight = "upWeight";
        public const string DownWeight = "downWeight";
        public const string HostCount = "hostCount";
        public const string LatestVersion = "latestVersion";
        public const string Version = "version";
        public const string ContentHash = "contentHash";
        public const string PackageUri = "packageUri";
        public const string PublishedBlock = "publishedBlock";
        public const string Deprecated = "deprecated";
        public const string DeprecationReason = "deprecationReason";
        public const string Host = "host";
        public const string Endpoint = "endpoint";
        public const string Module = "module";
        public const string Staker = "staker";
        public const string Stake = "stake";
        public const string Uploader = "uploader";
        public const string Size = "size";
    }
}
