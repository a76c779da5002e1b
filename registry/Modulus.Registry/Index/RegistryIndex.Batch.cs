using Modulus.Modules;
using LiteDB;

namespace Modulus.Registry.Index;

public sealed partial class RegistryIndex
{
    /// <summary>
    /// The changes of one transaction. Module documents are loaded once, changed in memory, and their
    /// derived fields (latest version, description and tags, host count, total stake) recomputed
    /// from the version, host and stake rows once at the end, whatever the number of events.
    /// </summary>
    private sealed class Batch(RegistryIndex index)
    {
        private readonly Dictionary<string, Touched> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _nameByHash = new(StringComparer.Ordinal);

        public void Apply(RegistryEvent e, IReadOnlyDictionary<string, PackageMetadata?> metadata)
        {
            switch (e)
            {
                case RegistryEvent.NameClaimed claimed:
                    Claim(claimed);
                    break;
                case RegistryEvent.NameTransferred transferred when Module(transferred.Name) is { } module:
                    module.Document[Fields.Owner] = transferred.To;
                    module.Changed = true;
                    break;
                case RegistryEvent.VersionPublished published:
                    Publish(published, metadata.GetValueOrDefault(published.ContentHash));
                    break;
                case RegistryEvent.VersionDeprecated deprecated:
                    Deprecate(deprecated);
                    break;
                case RegistryEvent.HostAnnounced announced:
                    index._hosts.Upsert(new BsonDocument
                    {
                        ["_id"] = Keys.Host(announced.Name, announced.Version, announced.Host),
                        [Fields.Name] = announced.Name,
                        [Fields.Version] = announced.Version,
                        [Fields.Host] = announced.Host,
                        [Fields.Endpoint] = announced.Endpoint,
                    });
                    MarkHosts(announced.Name);
                    break;
                case RegistryEvent.HostWithdrawn withdrawn:
                    index._hosts.Delete(Keys.Host(withdrawn.Name, withdrawn.Version, withdrawn.Host));
                    MarkHosts(withdrawn.Name);
                    break;
                case RegistryEvent.Staked staked:
                    SetStake(staked.Module, staked.Staker, staked.Stake);
                    break;
                case RegistryEvent.UnstakeRequested unstake:
                    SetStake(unstake.Module, unstake.Staker, unstake.Stake);
                    break;
                case RegistryEvent.Voted voted when ModuleByHash(voted.Module) is { } module:
                    module.Document[Fields.UpWeight] = Amount(voted.UpWeight);
                    module.Document[Fields.DownWeight] = Amount(voted.DownWeight);
                    module.Changed = true;
                    break;
                case RegistryEvent.StakeWithdrawn:
                    // Tokens paid out after the cooldown: the stake already left at the request.
                    break;
                case RegistryEvent.NameTransferred or RegistryEvent.Voted:
                    // About a module the index does not have: the contracts allow no such event.
                    break;
                default:
                    throw new ArgumentException($"The index does not know {e.GetType().Name} events.", nameof(e));
            }
        }

        /// <summary>Sets each version's metadata (keyed by version id) where the source now has it.</summary>
        public void SetMetadata(string name, IReadOnlyDictionary<string, PackageMetadata?> metadata)
        {
            foreach (var version in index.VersionsOf(name).ToList())
            {
                if (metadata.GetValueOrDefault(version["_id"].AsString) is { } found)
                {
                    version[Fields.Description] = found.Description;
                    version[Fields.Tags] = TagArray(CleanTags(found.Tags));
                    version[Fields.Price] = Text(found.Price);
                    index._versions.Update(version);
                }
            }

            if (Module(name) is { } module)
            {
                module.Versions = true;
            }
        }

        /// <summary>Recomputes what changed, writes the modules back, and returns their summaries.</summary>
        public List<ModuleSummary> Finish()
        {
            var summaries = new List<ModuleSummary>(_byName.Count);
            foreach (var (name, module) in _byName)
            {
                var document = module.Document;
                if (module.Versions)
                {
                    SetVersionFields(document, index.VersionsOf(name).ToList());
                }

                if (module.Hosts)
                {
                    document[Fields.HostCount] = index._hosts.Find(Queries.Under(name))
                        .Select(h => h[Fields.Host].AsString)
                        .Distinct(StringComparer.OrdinalIgnoreCase)
                        .Count();
                }

                if (module.Stakes)
                {
                    var total = System.Numerics.BigInteger.Zero;
                    foreach (var stake in index._stakes.Find(Queries.Equal(Fields.Module, document[Fields.NameHash])))
                    {
                        total += RegistryIndex.Amount(stake[Fields.Stake]);
                    }

                    document[Fields.TotalStake] = Amount(total);
                }

                if (module.Changed || module.Versions || module.Hosts || module.Stakes)
                {
                    index._modules.Upsert(document);
                    summaries.Add(ToSummary(document));
                }
            }

            return summaries;
        }

        /// <summary>Latest version, and the description and tags of the version that best describes the module now.</summary>
        private static void SetVersionFields(BsonDocument module, List<BsonDocument> versions)
        {
            var latest = LatestOf(versions);
            module[Fields.LatestVersion] = Text(latest?[Fields.Version].AsString);

            // The latest version's module.json, else that of the highest version whose package was at hand.
            var described = latest is not null && latest[Fields.Description].IsString
                ? latest
                : versions.Where(v => v[Fields.Description].IsString)
                    .OrderByDescending(v => v[Fields.Version].AsString, ModuleVersion.Precedence)
                    .FirstOrDefault();
            module[Fields.Description] = described is null ? BsonValue.Null : described[Fields.Description];
            module[Fields.Tags] = described is null ? new BsonArray() : described[Fields.Tags];
            // A version indexed before prices were read has none: LiteDB gives Null for the missing field.
            module[Fields.Price] = described is null ? BsonValue.Null : described[Fields.Price];
        }

        /// <summary>The highest live release, else the highest live prerelease; null when every version is deprecated.</summary>
        private static BsonDocument? LatestOf(List<BsonDocument> versions)
        {
            var live = versions.Where(v => !v[Fields.Deprecated].AsBoolean).ToList();
            var releases = live.Where(v => !(ModuleVersion.TryParse(v[Fields.Version].AsString, out var parsed, out _) && parsed.IsPrerelease)).ToList();
            return (releases.Count > 0 ? releases : live).MaxBy(v => v[Fields.Version].AsString, ModuleVersion.Precedence);
        }

        private void Claim(RegistryEvent.NameClaimed claimed)
        {
            if (Module(claimed.Name) is not null)
            {
                // Claimed already: this is the same event again (a name is claimed once), and the
                // owner may have changed since.
                return;
            }

            var document = new BsonDocument
            {
                ["_id"] = claimed.Name,
                [Fields.NameHash] = claimed.NameHash,
                [Fields.Owner] = claimed.Owner,
                [Fields.ClaimedBlock] = claimed.BlockNumber,
                [Fields.Description] = BsonValue.Null,
                [Fields.Tags] = new BsonArray(),
                [Fields.TotalStake] = "0",
                [Fields.UpWeight] = "0",
                [Fields.DownWeight] = "0",
                [Fields.HostCount] = 0,
                [Fields.LatestVersion] = BsonValue.Null,
            };

            // No version, host or stake can exist before the claim: the contracts require the name first.
            _byName[claimed.Name] = new Touched(document) { Changed = true };
            _nameByHash[claimed.NameHash] = claimed.Name;
        }

        private void Publish(RegistryEvent.VersionPublished published, PackageMetadata? metadata)
        {
            var id = Keys.Version(published.Name, published.Version);
            if (index._versions.FindById(id) is null)
            {
                // A published version never changes, so one already here is this event again, and
                // its deprecation (if any) stands.
                index._versions.Insert(new BsonDocument
                {
                    ["_id"] = id,
                    [Fields.Name] = published.Name,
                    [Fields.Version] = published.Version,
                    [Fields.ContentHash] = published.ContentHash,
                    [Fields.PackageUri] = published.PackageUri,
                    [Fields.PublishedBlock] = published.BlockNumber,
                    [Fields.Deprecated] = false,
                    [Fields.DeprecationReason] = BsonValue.Null,
                    [Fields.Description] = Text(metadata?.Description),
                    [Fields.Tags] = metadata is null ? BsonValue.Null : TagArray(CleanTags(metadata.Tags)),
                    [Fields.Price] = Text(metadata?.Price),
                });
            }

            MarkVersions(published.Name);
        }

        private void Deprecate(RegistryEvent.VersionDeprecated deprecated)
        {
            if (index._versions.FindById(Keys.Version(deprecated.Name, deprecated.Version)) is { } version)
            {
                version[Fields.Deprecated] = true;
                version[Fields.DeprecationReason] = deprecated.Reason;
                index._versions.Update(version);
                MarkVersions(deprecated.Name);
            }
        }

        private void SetStake(string nameHash, string staker, System.Numerics.BigInteger stake)
        {
            var id = Keys.Stake(nameHash, staker);
            if (stake.IsZero)
            {
                index._stakes.Delete(id);
            }
            else
            {
                index._stakes.Upsert(new BsonDocument
                {
                    ["_id"] = id,
                    [Fields.Module] = nameHash,
                    [Fields.Staker] = staker,
                    [Fields.Stake] = Amount(stake),
                });
            }

            if (ModuleByHash(nameHash) is { } module)
            {
                module.Stakes = true;
            }
        }

        private void MarkVersions(string name)
        {
            if (Module(name) is { } module)
            {
                module.Versions = true;
            }
        }

        private void MarkHosts(string name)
        {
            if (Module(name) is { } module)
            {
                module.Hosts = true;
            }
        }

        private Touched? Module(string name)
        {
            if (_byName.TryGetValue(name, out var touched))
            {
                return touched;
            }

            return index._modules.FindById(name) is { } document ? Track(document) : null;
        }

        private Touched? ModuleByHash(string nameHash)
        {
            if (_nameByHash.TryGetValue(nameHash, out var name))
            {
                return _byName[name];
            }

            return index._modules.FindOne(Queries.Equal(Fields.NameHash, nameHash)) is { } document ? Track(document) : null;
        }

        private Touched Track(BsonDocument document)
        {
            var touched = new Touched(document);
            _byName[document["_id"].AsString] = touched;
            _nameByHash[document[Fields.NameHash].AsString] = document["_id"].AsString;
            return touched;
        }

        private static IEnumerable<string> CleanTags(IReadOnlyList<string> tags) =>
            tags.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).Distinct(StringComparer.Ordinal);

        /// <summary>A module document in this batch and what to recompute for it.</summary>
        private sealed class Touched(BsonDocument document)
        {
            public BsonDocument Document { get; } = document;

            /// <summary>A field set directly by an event (owner, vote weights) or a new module.</summary>
            public bool Changed { get; set; }

            public bool Versions { get; set; }

            public bool Hosts { get; set; }

            public bool Stakes { get; set; }
        }
    }
}
