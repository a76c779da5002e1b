namespace Modulus.Registry.Index;

/// <summary>
/// An immutable, in-memory snapshot of every module's summary, kept in each ranking's order, that
/// <see cref="RegistryIndex.Search"/> answers from.
/// </summary>
/// <remarks>
/// Why not a LiteDB query: a substring match on name or description cannot use a B-tree index,
/// so LiteDB would read and deserialize every module document per search (0.4-1.1 s at 100,000
/// modules, measured), and a tag filter followed by a ranking sorts every module with that tag.
/// Here a ranked search walks an array already in rank order and stops at offset + limit matches;
/// only a search that matches few modules scans the whole array, without reading a document (2.7 ms
/// at 10,000, 48 ms at 100,000: the walk in rank order visits memory out of order; `make
/// bench-registry`). A snapshot is replaced, never changed, after a batch commits: readers need
/// no lock and always see one whole checkpoint, never half a batch.
/// </remarks>
internal sealed class SearchCatalog
{
    private static readonly IComparer<Entry> ByName = Comparer<Entry>.Create((a, b) => string.CompareOrdinal(a.Summary.Name, b.Summary.Name));
    private static readonly IComparer<Entry> ByStake = Comparer<Entry>.Create((a, b) => Tiebreak(b.Summary.TotalStake.CompareTo(a.Summary.TotalStake), a, b));
    private static readonly IComparer<Entry> ByVotes = Comparer<Entry>.Create((a, b) => Tiebreak(b.Votes.CompareTo(a.Votes), a, b));
    private static readonly IComparer<Entry> ByHosts = Comparer<Entry>.Create((a, b) => Tiebreak(b.Summary.HostCount.CompareTo(a.Summary.HostCount), a, b));

    private readonly Entry[] _byName;
    private readonly Entry[] _byStake;
    private readonly Entry[] _byVotes;
    private readonly Entry[] _byHosts;

    private SearchCatalog(Entry[] byName, Entry[] byStake, Entry[] byVotes, Entry[] byHosts, long? lastBlock)
    {
        _byName = byName;
        _byStake = byStake;
        _byVotes = byVotes;
        _byHosts = byHosts;
        LastBlock = lastBlock;
    }

    /// <summary>The checkpoint this snapshot is the state at.</summary>
    public long? LastBlock { get; }

    public int Count => _byName.Length;

    public static SearchCatalog Create(IEnumerable<ModuleSummary> summaries, long? lastBlock)
    {
        var entries = summaries.Select(s => new Entry(s)).ToArray();
        return new SearchCatalog(Sorted(entries, ByName), Sorted(entries, ByStake), Sorted(entries, ByVotes), Sorted(entries, ByHosts), lastBlock);
    }

    /// <summary>A new snapshot with these summaries added or replacing those of the same name.</summary>
    /// <remarks>O(n) array copies plus O(k log n) searches for k changes, so a batch that touches a few modules costs little even at 100,000.</remarks>
    public SearchCatalog With(IReadOnlyCollection<ModuleSummary> changed, long? lastBlock)
    {
        if (changed.Count == 0)
        {
            return new SearchCatalog(_byName, _byStake, _byVotes, _byHosts, lastBlock);
        }

        var replaced = new List<Entry>(changed.Count);
        var added = new Entry[changed.Count];
        var i = 0;
        foreach (var summary in changed)
        {
            var entry = new Entry(summary);
            added[i++] = entry;
            var at = Array.BinarySearch(_byName, entry, ByName);
            if (at >= 0)
            {
                replaced.Add(_byName[at]);
            }
        }

        return new SearchCatalog(
            Merge(_byName, replaced, added, ByName),
            Merge(_byStake, replaced, added, ByStake),
            Merge(_byVotes, replaced, added, ByVotes),
            Merge(_byHosts, replaced, added, ByHosts),
            lastBlock);
    }

    public IReadOnlyList<ModuleSummary> Search(SearchQuery query)
    {
        var ranked = query.Rank switch
        {
            RankBy.Votes => _byVotes,
            RankBy.Hosts => _byHosts,
            RankBy.Name => _byName,
            _ => _byStake,
        };
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim();
        var tag = string.IsNullOrEmpty(query.Tag) ? null : query.Tag;
        var limit = Math.Max(0, query.Limit);
        var offset = Math.Max(0, query.Offset);
        if (text is null && tag is null)
        {
            // No filter: the page is a slice of the ranking.
            var start = Math.Min(offset, ranked.Length);
            var page = new ModuleSummary[Math.Min(limit, ranked.Length - start)];
            for (var i = 0; i < page.Length; i++)
            {
                page[i] = ranked[start + i].Summary;
            }

            return page;
        }

        var results = new List<ModuleSummary>(Math.Min(limit, 256));
        var skip = offset;
        foreach (var entry in ranked)
        {
            if (results.Count >= limit)
            {
                break;
            }

            if (!Matches(entry.Summary, text, tag))
            {
                continue;
            }

            if (skip > 0)
            {
                skip--;
                continue;
            }

            results.Add(entry.Summary);
        }

        return results;
    }

    private static bool Matches(ModuleSummary summary, string? text, string? tag)
    {
        if (tag is not null && !Contains(summary.Tags, tag))
        {
            return false;
        }

        return text is null
            || summary.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
            || (summary.Description?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false);
    }

    private static bool Contains(IReadOnlyList<string> tags, string tag)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i], tag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static int Tiebreak(int order, Entry a, Entry b) => order != 0 ? order : string.CompareOrdinal(a.Summary.Name, b.Summary.Name);

    private static Entry[] Sorted(Entry[] entries, IComparer<Entry> comparer)
    {
        var copy = (Entry[])entries.Clone();
        Array.Sort(copy, comparer);
        return copy;
    }

    /// <summary>The ranking without the replaced entries and with the added ones in their places.</summary>
    private static Entry[] Merge(Entry[] ranked, List<Entry> replaced, Entry[] added, IComparer<Entry> comparer)
    {
        // Each replaced entry still holds the values it was ranked by, so a binary search finds it.
        var removals = new int[replaced.Count];
        for (var i = 0; i < replaced.Count; i++)
        {
            removals[i] = Array.BinarySearch(ranked, replaced[i], comparer);
        }

        Array.Sort(removals);
        var insertions = Sorted(added, comparer);
        var positions = new int[insertions.Length];
        for (var i = 0; i < insertions.Length; i++)
        {
            // Before the first entry that ranks after it; ties (the entry it replaces) make no difference.
            var at = Array.BinarySearch(ranked, insertions[i], comparer);
            positions[i] = at >= 0 ? at : ~at;
        }

        var result = new Entry[ranked.Length - removals.Length + insertions.Length];
        int source = 0, target = 0, removal = 0, insertion = 0;
        while (source < ranked.Length || insertion < insertions.Length)
        {
            var nextRemoval = removal < removals.Length ? removals[removal] : ranked.Length;
            var nextInsertion = insertion < insertions.Length ? positions[insertion] : ranked.Length;
            var stop = Math.Min(nextRemoval, nextInsertion);
            if (stop > source)
            {
                Array.Copy(ranked, source, result, target, stop - source);
                target += stop - source;
                source = stop;
            }

            if (insertion < insertions.Length && positions[insertion] == source)
            {
                result[target++] = insertions[insertion++];
            }
            else if (removal < removals.Length && removals[removal] == source)
            {
                source++;
                removal++;
            }
            else if (source >= ranked.Length)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>A summary with its vote score computed once (BigInteger arithmetic allocates).</summary>
    private sealed class Entry(ModuleSummary summary)
    {
        public ModuleSummary Summary { get; } = summary;

        public System.Numerics.BigInteger Votes { get; } = summary.UpWeight - summary.DownWeight;
    }
}
