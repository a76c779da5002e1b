using System.Globalization;
using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Index;

namespace Modulus.Benchmarks.Registry;

/// <summary>
/// A made-up but plausible registry, a pure function of the module number: names like
/// <c>text.tokenize-1234</c>, descriptions from a small vocabulary, 1-3 of 30 tags, 1-3 versions,
/// one or two stakers, votes on some, hosts on a few. The package metadata is derived from the
/// content hash, so nothing is held in memory beside what the index holds.
/// </summary>
internal sealed class SyntheticRegistry : IPackageMetadataSource
{
    public static readonly RegistryDeployment Deployment = new(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", 1);

    private static readonly string[] Domains = ["text", "image", "audio", "video", "math", "geo", "net", "data", "crypto", "ml", "time", "util"];

    private static readonly string[] Verbs =
    [
        "tokenize", "resize", "transcode", "parse", "render", "encode", "decode", "classify", "summarize", "translate",
        "compress", "sign", "verify", "convert", "filter", "merge", "split", "index", "rank", "detect",
        "extract", "normalize", "hash", "sample", "plot",
    ];

    /// <summary>Words every description draws from; each is in roughly one description in five.</summary>
    private static readonly string[] Common =
    [
        "fast", "simple", "streaming", "batch", "module", "input", "output", "returns", "accepts", "utf-8",
        "json", "binary", "small", "large", "files", "records", "values", "strings", "numbers", "images",
        "documents", "pipeline", "local", "remote", "service", "helper", "library", "wrapper", "safe", "pure",
        "configurable", "default", "options", "cached", "async", "typed", "tested", "portable", "minimal", "robust",
    ];

    /// <summary>Words in one description in a hundred each: what the text search looks for.</summary>
    public static readonly string[] Rare =
    [
        "wavelet", "levenshtein", "mandelbrot", "haversine", "bloom", "huffman", "kalman", "fourier", "dijkstra", "voronoi",
        "bezier", "chebyshev", "gaussian", "lanczos", "markov", "newton", "poisson", "quaternion", "rabin", "sobel",
    ];

    public static readonly string[] Tags =
    [
        "nlp", "vision", "audio", "video", "math", "stats", "geo", "maps", "network", "http",
        "storage", "database", "crypto", "security", "ml", "inference", "training", "time", "calendar", "finance",
        "text", "parsing", "compression", "media", "charts", "testing", "devtools", "cloud", "iot", "science",
    ];

    private static readonly string[] Addresses = Enumerable.Range(1, 64)
        .Select(i => Nethereum.Util.AddressUtil.Current.ConvertToChecksumAddress(Convert.ToHexStringLower(ModuleId.Of("account " + i))[..40]))
        .ToArray();

    private static readonly BigInteger Token = BigInteger.Pow(10, 18);

    public static string Name(int module) => $"{Domains[module % Domains.Length]}.{Verbs[module / Domains.Length % Verbs.Length]}-{module}";

    /// <summary>The module's rare word, when its description has one.</summary>
    public static string? RareWord(int module) => module % 5 == 0 ? Rare[module / 5 % Rare.Length] : null;

    public static PackageMetadata Metadata(int module)
    {
        var random = new Random(module);
        var words = new List<string>(12);
        var count = random.Next(6, 11);
        for (var i = 0; i < count; i++)
        {
            words.Add(Common[random.Next(Common.Length)]);
        }

        if (RareWord(module) is { } rare)
        {
            words.Insert(random.Next(words.Count + 1), rare);
        }

        var tags = new HashSet<string>(StringComparer.Ordinal);
        var tagCount = random.Next(1, 4);
        while (tags.Count < tagCount)
        {
            tags.Add(Tags[random.Next(Tags.Length)]);
        }

        var description = string.Join(' ', words);
        return new PackageMetadata(char.ToUpperInvariant(description[0]) + description[1..] + ".", [.. tags]);
    }

    /// <summary>Module number and version number in the first 16 hex digits; the metadata source reads them back.</summary>
    public static string ContentHash(int module, int version) =>
        module.ToString("x8", CultureInfo.InvariantCulture) + version.ToString("x8", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(ModuleId.Of(Name(module)))[..48];

    public PackageMetadata? Find(string sha256Hex)
    {
        var module = int.Parse(sha256Hex.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return Metadata(module);
    }

    /// <summary>The events of one module, all in one block, as the contracts would emit them.</summary>
    public static void AddEvents(int module, long block, List<RegistryEvent> events)
    {
        var random = new Random(~module);
        var name = Name(module);
        var hash = Convert.ToHexStringLower(ModuleId.Of(name));
        var owner = Addresses[random.Next(Addresses.Length)];
        var log = 0;
        events.Add(new RegistryEvent.NameClaimed(block, log++, hash, name, owner));
        string[] versions = ["1.0.0", "1.1.0", "2.0.0"];
        var published = random.Next(1, versions.Length + 1);
        for (var v = 0; v < published; v++)
        {
            var content = ContentHash(module, v);
            events.Add(new RegistryEvent.VersionPublished(block, log++, hash, name, versions[v], content, "sha256:" + content));
        }

        if (published > 1 && random.Next(50) == 0)
        {
            events.Add(new RegistryEvent.VersionDeprecated(block, log++, hash, name, versions[0], "superseded"));
        }

        // Stakes: everyone has one; some a second staker. Amounts spread widely so the ranking is not all ties.
        var stakers = random.Next(10) < 3 ? 2 : 1;
        var stakes = new List<(string Staker, BigInteger Stake)>();
        for (var s = 0; s < stakers; s++)
        {
            var staker = Addresses[random.Next(Addresses.Length)];
            if (stakes.Any(x => x.Staker == staker))
            {
                continue;
            }

            var amount = random.Next(1, 100_000) * Token / 100;
            stakes.Add((staker, amount));
            events.Add(new RegistryEvent.Staked(block, log++, hash, staker, amount, amount));
        }

        // Votes on 40%: each staker votes with their stake, mostly up.
        if (random.Next(10) < 4)
        {
            BigInteger up = 0, down = 0;
            foreach (var (staker, stake) in stakes)
            {
                var direction = random.Next(4) == 0 ? VoteDirection.Down : VoteDirection.Up;
                if (direction == VoteDirection.Up)
                {
                    up += stake;
                }
                else
                {
                    down += stake;
                }

                events.Add(new RegistryEvent.Voted(block, log++, hash, staker, direction, stake, up, down));
            }
        }

        // Hosts on 10%: one or two, announcing the latest version.
        if (random.Next(10) == 0)
        {
            var hosts = random.Next(1, 3);
            for (var h = 0; h < hosts; h++)
            {
                var host = Addresses[random.Next(Addresses.Length)];
                events.Add(new RegistryEvent.HostAnnounced(block, log++, hash, name, versions[published - 1], host, $"grpc://10.{module / 65536 % 256}.{module / 256 % 256}.{module % 256}:{7050 + h}"));
            }
        }
    }
}
