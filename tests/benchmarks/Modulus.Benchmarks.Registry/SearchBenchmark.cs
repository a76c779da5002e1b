using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using LiteDB;
using Modulus.Registry.Index;

namespace Modulus.Benchmarks.Registry;

/// <summary>
/// The index at scale: build time and size, and the latency of search, resolve and get, beside the
/// same queries a LiteDB user would write against the same file without the in-memory catalog.
/// </summary>
internal static class SearchBenchmark
{
    private const int BlocksPerBatch = 1_000;
    private const int Limit = 20;

    public static int Run(string[] args)
    {
        var arguments = new BenchmarkArguments(args);
        var sizes = arguments.Text("--modules", "10000,100000").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture))
            .ToArray();
        var queries = (int)arguments.Number("--queries", 2000);
        var budget = TimeSpan.FromSeconds(arguments.Number("--plain-seconds", 10));
        var warmup = Math.Clamp(queries / 10, 10, 200);
        Console.WriteLine($"command: {Machine.CommandLine(args)}");
        Console.WriteLine($"machine: {Machine.Describe()}");
        Console.WriteLine($"queries: {queries} measured per query after {warmup} warm-up calls, each call with other inputs (names, words, tags); "
            + $"a plain-LiteDB query stops after {budget.TotalSeconds:0.#} s (at least 21 calls), its sample count is shown; each sample includes the clock read, about 30 ns here");
        foreach (var size in sizes)
        {
            RunSize(size, queries, warmup, budget);
        }

        return 0;
    }

    private static void RunSize(int modules, int queries, int warmup, TimeSpan budget)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"modulus-bench-registry-{Environment.ProcessId}-{modules}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "index.db");
        try
        {
            Console.WriteLine();
            Console.WriteLine($"## {modules:N0} modules");
            Console.WriteLine();
            var heapBefore = HeapBytes();
            var (buildTime, events, batches) = Build(path, modules);
            var fileBytes = FileBytes(path);

            // Measured as a restarted registry service sees the index: opened from the file.
            var open = Stopwatch.StartNew();
            var index = RegistryIndex.Open(path, SyntheticRegistry.Deployment, new SyntheticRegistry());
            open.Stop();
            var expected = Expectations(modules);
            var random = new Random(42);
            var names = Enumerable.Range(0, warmup + queries).Select(_ => SyntheticRegistry.Name(random.Next(modules))).ToArray();
            string Word(int i) => SyntheticRegistry.Rare[i % SyntheticRegistry.Rare.Length];
            string Tag(int i) => SyntheticRegistry.Tags[i % SyntheticRegistry.Tags.Length];
            string Nothing(int i) => "zq-nomatch-" + i.ToString(CultureInfo.InvariantCulture);
            string NameAt(int i) => names[i % names.Length];

            var ours = new List<Latency>
            {
                Latency.Measure("search, no filter, by stake", queries, warmup, budget, _ => index.Search(new SearchQuery(null, null, RankBy.Stake, Limit))),
                Latency.Measure("search text (~1% match), by stake", queries, warmup, budget, i => index.Search(new SearchQuery(Word(i), null, RankBy.Stake, Limit))),
                Latency.Measure("search tag, by votes", queries, warmup, budget, i => index.Search(new SearchQuery(null, Tag(i), RankBy.Votes, Limit))),
                Latency.Measure("search matching nothing (full scan)", queries, warmup, budget, i => index.Search(new SearchQuery(Nothing(i), null, RankBy.Stake, Limit))),
                Latency.Measure("resolve NAME (latest)", queries, warmup, budget, i => index.Resolve(NameAt(i), null)),
                Latency.Measure("get NAME (detail)", queries, warmup, budget, i => index.Get(NameAt(i))),
            };
            var ourPages = SamplePages(
                i => index.Search(new SearchQuery(null, null, RankBy.Stake, Limit)).Select(m => m.Name),
                i => index.Search(new SearchQuery(Word(i), null, RankBy.Stake, Limit)).Select(m => m.Name),
                i => index.Search(new SearchQuery(null, Tag(i), RankBy.Votes, Limit)).Select(m => m.Name),
                i => index.Resolve(NameAt(i), null)?.Version ?? "-");
            var ourHeap = HeapBytes();
            var ourWorkingSet = Environment.WorkingSet;
            index.Dispose();
            index = null;
            DeleteLockFile(path);
            var heapBetween = HeapBytes();

            // The peer: the same file, queried as a LiteDB user would, with no catalog in memory.
            var plainOpen = Stopwatch.StartNew();
            var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct, Collation = Collation.Binary });
            var moduleRows = db.GetCollection("modules");
            var versionRows = db.GetCollection("versions");
            var hostRows = db.GetCollection("hosts");
            var stakeRows = db.GetCollection("stakes");
            _ = moduleRows.Count();
            plainOpen.Stop();
            BigInteger Stake(BsonDocument d) => BigInteger.Parse(d["totalStake"].AsString, CultureInfo.InvariantCulture);
            BigInteger Votes(BsonDocument d) => BigInteger.Parse(d["upWeight"].AsString, CultureInfo.InvariantCulture) - BigInteger.Parse(d["downWeight"].AsString, CultureInfo.InvariantCulture);
            List<BsonDocument> ByStake(IEnumerable<BsonDocument> found) => found.OrderByDescending(Stake).ThenBy(d => d["_id"].AsString, StringComparer.Ordinal).Take(Limit).ToList();
            List<BsonDocument> ByVotes(IEnumerable<BsonDocument> found) => found.OrderByDescending(Votes).ThenBy(d => d["_id"].AsString, StringComparer.Ordinal).Take(Limit).ToList();
            // Parameterized: LiteDB compiles each distinct expression text once and keeps it for good,
            // so a value written into the text (Query.Contains, Query.EQ) would add a compilation per new value.
            // Names are lowercase; LOWER matches the index's case-insensitive text search.
            var textQuery = "$._id LIKE @0 OR LOWER($.description) LIKE @0";
            List<BsonDocument> TextSearch(string word) => ByStake(moduleRows.Find(BsonExpression.Create(textQuery, "%" + word.ToLowerInvariant() + "%")));
            List<BsonDocument> TagSearch(string tag) => ByVotes(moduleRows.Find(BsonExpression.Create("$.tags[*] ANY = @0", tag)));
            BsonExpression Under(string key) => BsonExpression.Create("_id BETWEEN @0 AND @1", key + "@", key + "A");
            (BsonDocument Version, List<BsonDocument> Hosts)? Resolve(string name)
            {
                if (moduleRows.FindById(name)?["latestVersion"] is not { IsString: true } latest)
                {
                    return null;
                }

                var id = name + "@" + latest.AsString;
                return versionRows.FindById(id) is { } version ? (version, hostRows.Find(Under(id)).ToList()) : null;
            }

            (BsonDocument Module, List<BsonDocument> Versions, List<BsonDocument> Hosts, List<BsonDocument> Stakes)? Get(string name) =>
                moduleRows.FindById(name) is { } module
                    ? (module,
                        versionRows.Find(Under(name)).ToList(),
                        hostRows.Find(Under(name)).ToList(),
                        stakeRows.Find(BsonExpression.Create("$.module = @0", module["nameHash"])).ToList())
                    : null;

            var plainWarmup = Math.Min(warmup, 5);
            var plain = new List<Latency>
            {
                Latency.Measure("search, no filter, by stake", queries, plainWarmup, budget, _ => ByStake(moduleRows.FindAll())),
                Latency.Measure("search text (~1% match), by stake", queries, plainWarmup, budget, i => TextSearch(Word(i))),
                Latency.Measure("search tag, by votes", queries, plainWarmup, budget, i => TagSearch(Tag(i))),
                Latency.Measure("search matching nothing (full scan)", queries, plainWarmup, budget, i => TextSearch(Nothing(i))),
                Latency.Measure("resolve NAME (latest)", queries, warmup, budget, i => Resolve(NameAt(i))),
                Latency.Measure("get NAME (detail)", queries, warmup, budget, i => Get(NameAt(i))),
            };
            var plainPages = SamplePages(
                i => ByStake(moduleRows.FindAll()).Select(d => d["_id"].AsString),
                i => TextSearch(Word(i)).Select(d => d["_id"].AsString),
                i => TagSearch(Tag(i)).Select(d => d["_id"].AsString),
                i => Resolve(NameAt(i))?.Version["version"].AsString ?? "-");
            var plainHeap = HeapBytes();
            var plainWorkingSet = Environment.WorkingSet;
            db.Dispose();

            Console.WriteLine($"build: {buildTime.TotalSeconds:0.0} s for {events:N0} events in {batches:N0} batches of {BlocksPerBatch:N0} blocks "
                + $"({events / buildTime.TotalSeconds:N0} events/s); file {fileBytes / 1048576.0:0.0} MiB ({fileBytes / (double)modules:N0} bytes/module)");
            Console.WriteLine($"open: Modulus index {open.Elapsed.TotalMilliseconds:N0} ms (reads every module into the catalog); plain LiteDB {plainOpen.Elapsed.TotalMilliseconds:N0} ms");
            Console.WriteLine($"data: text words match {expected.TextMin:N0}-{expected.TextMax:N0} modules each ({100.0 * expected.TextMax / modules:0.0}%), "
                + $"tags {expected.TagMin:N0}-{expected.TagMax:N0} each; both sides return the same pages: {(ourPages.SequenceEqual(plainPages) ? "yes" : "NO")}");
            Console.WriteLine();
            Console.WriteLine("Modulus index (µs):");
            Console.WriteLine();
            Console.WriteLine("| QUERY | p50 | p90 | p99 | mean | calls |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            foreach (var l in ours)
            {
                Console.WriteLine($"| {l.Query} | {Latency.Format(l.Percentile(0.5))} | {Latency.Format(l.Percentile(0.9))} | {Latency.Format(l.Percentile(0.99))} | {Latency.Format(l.Mean)} | {l.Count:N0} |");
            }

            Console.WriteLine();
            Console.WriteLine("Beside plain LiteDB on the same file (µs):");
            Console.WriteLine();
            Console.WriteLine("| QUERY | MODULUS INDEX p50 | MODULUS INDEX p99 | PLAIN LITEDB p50 | PLAIN LITEDB p99 | PLAIN LITEDB calls | PLAIN / MODULUS (p50) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            for (var i = 0; i < ours.Count; i++)
            {
                var (a, b) = (ours[i], plain[i]);
                Console.WriteLine($"| {a.Query} | {Latency.Format(a.Percentile(0.5))} | {Latency.Format(a.Percentile(0.99))} | {Latency.Format(b.Percentile(0.5))} | {Latency.Format(b.Percentile(0.99))} | {b.Count:N0} | "
                    + $"{Ratio(b.Percentile(0.5), a.Percentile(0.5))} |");
            }

            Console.WriteLine();
            Console.WriteLine("Memory (managed heap after a full GC; working set of the whole process):");
            Console.WriteLine();
            Console.WriteLine("| STATE | MANAGED HEAP | WORKING SET |");
            Console.WriteLine("|---|---:|---:|");
            Console.WriteLine($"| before building | {Mib(heapBefore)} | - |");
            Console.WriteLine($"| Modulus index open | {Mib(ourHeap)} (+{Mib(ourHeap - heapBefore)}) | {Mib(ourWorkingSet)} |");
            Console.WriteLine($"| plain LiteDB open | {Mib(plainHeap)} (+{Mib(plainHeap - heapBetween)}) | {Mib(plainWorkingSet)} |");
        }
        finally
        {
            DeleteLockFile(path);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"warning: could not delete {folder}: {ex.Message}");
            }
        }
    }

    private static (TimeSpan Time, long Events, int Batches) Build(string path, int modules)
    {
        long total = 0;
        var batches = 0;
        var stopwatch = Stopwatch.StartNew();
        using (var index = RegistryIndex.Open(path, SyntheticRegistry.Deployment, new SyntheticRegistry()))
        {
            var events = new List<RegistryEvent>(BlocksPerBatch * 8);
            for (var first = 0; first < modules; first += BlocksPerBatch)
            {
                events.Clear();
                var last = Math.Min(modules, first + BlocksPerBatch) - 1;
                for (var module = first; module <= last; module++)
                {
                    SyntheticRegistry.AddEvents(module, Block(module), events);
                }

                index.Apply(events, Block(last));
                total += events.Count;
                batches++;
            }
        }

        stopwatch.Stop();
        return (stopwatch.Elapsed, total, batches);

        // One block per module, after the deployment block.
        static long Block(int module) => (long)SyntheticRegistry.Deployment.Block + 1 + module;
    }

    /// <summary>How many modules each text word and tag matches, counted from the generator, not the index.</summary>
    private static (int TextMin, int TextMax, int TagMin, int TagMax) Expectations(int modules)
    {
        var text = new int[SyntheticRegistry.Rare.Length];
        var tags = new int[SyntheticRegistry.Tags.Length];
        for (var module = 0; module < modules; module++)
        {
            var metadata = SyntheticRegistry.Metadata(module);
            var name = SyntheticRegistry.Name(module);
            for (var w = 0; w < text.Length; w++)
            {
                var word = SyntheticRegistry.Rare[w];
                if (name.Contains(word, StringComparison.OrdinalIgnoreCase) || metadata.Description.Contains(word, StringComparison.OrdinalIgnoreCase))
                {
                    text[w]++;
                }
            }

            foreach (var tag in metadata.Tags)
            {
                tags[Array.IndexOf(SyntheticRegistry.Tags, tag)]++;
            }
        }

        return (text.Min(), text.Max(), tags.Min(), tags.Max());
    }

    /// <summary>A few result pages of each kind, to check that both sides answer the same.</summary>
    private static List<string> SamplePages(Func<int, IEnumerable<string>> all, Func<int, IEnumerable<string>> text, Func<int, IEnumerable<string>> tag, Func<int, string> resolve)
    {
        var pages = new List<string> { string.Join(',', all(0)) };
        for (var i = 0; i < 3; i++)
        {
            pages.Add(string.Join(',', text(i)));
            pages.Add(string.Join(',', tag(i)));
        }

        for (var i = 0; i < 50; i++)
        {
            pages.Add(resolve(i));
        }

        return pages;
    }

    private static long HeapBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long FileBytes(string path) =>
        new DirectoryInfo(Path.GetDirectoryName(path)!).EnumerateFiles("index*.db").Sum(f => f.Length);

    private static void DeleteLockFile(string path)
    {
        if (File.Exists(path + ".lock"))
        {
            File.Delete(path + ".lock");
        }
    }

    /// <summary>How many times slower plain LiteDB is (below 1: faster).</summary>
    private static string Ratio(double plain, double ours) => ours <= 0 || double.IsNaN(ours) || double.IsNaN(plain)
        ? "-"
        : (plain / ours).ToString(plain / ours < 10 ? "N2" : "N0", CultureInfo.InvariantCulture) + "x";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("N1", CultureInfo.InvariantCulture) + " MiB";
}
