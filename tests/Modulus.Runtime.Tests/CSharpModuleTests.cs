using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Modulus.Runtime.CSharp;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

public class CSharpModuleTests
{
    private const string Typed = """
        public sealed class Typed : Module
        {
            public string Forward(string text, int times = 2) => string.Concat(Enumerable.Repeat(text, times));

            [Endpoint(Idempotent = true)]
            public double Sum(List<double> values) => values.Sum();

            [Endpoint("scale")]
            public Task<Tensor> ScaleAsync(Tensor x, float factor) =>
                Task.FromResult(Tensor.FromArray(x.AsSpan<float>().ToArray().Select(v => v * factor).ToArray(), x.Shape.ToArray()));

            [Endpoint]
            public ValueTask<Dictionary<string, long>> Lengths(IReadOnlyDictionary<string, string> words) =>
                ValueTask.FromResult(words.ToDictionary(kv => kv.Key, kv => (long)kv.Value.Length));

            [Endpoint]
            public int ByteCount(byte[] data) => data.Length;

            [Endpoint]
            public string Target(CallContext context) => $"{context.Module}/{context.Endpoint}";

            [Endpoint]
            public string Fail(string how) => how == "modulus"
                ? throw new ModulusException(StatusCode.FailedPrecondition, "not ready")
                : throw new InvalidOperationException("boom");
        }
        """;

    [Fact]
    public async Task Call_BindsTypedParametersAndConvertsResults()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        Assert.Equal("abab", (await runtime.CallAsync("typed", "ab")).AsString());
        Assert.Equal("ababab", (await runtime.CallAsync("typed", ["ab"], new() { ["times"] = 3 })).AsString());
        Assert.Equal(6.5, (await runtime.CallAsync("typed/sum", Value.List(1, 2.5, 3))).AsFloat());
        var scaled = (await runtime.CallAsync("typed/scale", Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2), 0.5)).AsTensor();
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, scaled.ToArray<float>());
        Assert.Equal([2L, 2L], scaled.Shape);
        var lengths = (await runtime.CallAsync("typed/lengths", Value.Map([new("a", "xyz")]))).AsMap();
        Assert.Equal(3, lengths["a"].AsInt());
        Assert.Equal(3, (await runtime.CallAsync("typed/byte_count", Value.FromBytes(new byte[] { 1, 2, 3 }))).AsInt());
        Assert.Equal("typed/target", (await runtime.CallAsync("typed/target")).AsString());
    }

    [Fact]
    public async Task Info_DescribesEndpointsFromSignatures()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var info = runtime.Catalog.Find("typed")!;
        var signatures = info.Endpoints.ToDictionary(e => e.Name, e => e.Signature);
        Assert.Equal("forward(text: string, times: int = 2) -> string", signatures["forward"]);
        Assert.Equal("sum(values: list[float]) -> float", signatures["sum"]);
        Assert.Equal("scale(x: tensor, factor: float) -> tensor", signatures["scale"]);
        Assert.Equal("target() -> string", signatures["target"]);
        Assert.Equal(64, info.ContentHash.Length);
        Assert.Equal(["sum"], info.Endpoints.Where(e => e.Idempotent).Select(e => e.Name));
    }

    [Fact]
    public async Task Call_IntOutOfRangeForParameter_IsInvalidArgument()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var ex = await Assert.ThrowsAsync<ModulusException>(async () => await runtime.CallAsync("typed", ["x"], new() { ["times"] = 5_000_000_000L }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("times", ex.Message);
        Assert.Contains("out of range", ex.Message);
    }

    [Fact]
    public async Task Call_ModuleThrows_IsInternalOrItsOwnCode_AndTheModuleKeepsServing()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var crash = await runtime.FailAsync("typed/fail", "crash");
        Assert.Equal(StatusCode.Internal, crash.Code);
        Assert.Contains("InvalidOperationException: boom", crash.Message);
        var own = await runtime.FailAsync("typed/fail", "modulus");
        Assert.Equal(StatusCode.FailedPrecondition, own.Code);
        Assert.Equal("not ready", own.Message);
        Assert.Equal("xx", (await runtime.CallAsync("typed", "x")).AsString());
    }

    [Fact]
    public async Task Call_UnknownModuleOrEndpoint_IsNotFoundListingWhatExists()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        Assert.Equal(StatusCode.NotFound, (await runtime.FailAsync("nothing")).Code);
        var ex = await runtime.FailAsync("typed/nothing");
        Assert.Equal(StatusCode.NotFound, ex.Code);
        Assert.Contains("forward, sum, scale", ex.Message);
    }

    [Fact]
    public async Task Load_CompileError_NamesFileLineAndMessage_OthersStillServe()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        var broken = tree.AddCSharp("broken", "public sealed class B : Module\n{\n    public string Forward(string s) => s + undefinedThing;\n}\n");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var fault = Assert.Single(runtime.Catalog.Faults);
        Assert.Equal($"{broken}:3:44", fault.Path);
        Assert.Contains("CS0103", fault.Reason);
        Assert.Contains("undefinedThing", fault.Reason);
        Assert.Equal("xx", (await runtime.CallAsync("typed", "x")).AsString());
        Assert.Contains("failed to load", (await runtime.FailAsync("broken", "x")).Message);
    }

    [Theory]
    [InlineData("public sealed class B { }", "no public class derives from Modulus.Sdk.Module")]
    [InlineData("public sealed class A : Module { public string Forward() => \"\"; } public sealed class C : Module { public string Forward() => \"\"; }", "several classes")]
    [InlineData("public sealed class A : Module { public A() => throw new Exception(\"no weights\"); public string Forward() => \"\"; }", "no weights")]
    [InlineData("public sealed class A : Module { public string Forward(System.IO.Stream s) => \"\"; }", "cannot cross a module boundary")]
    [InlineData("public sealed class A : Module { public void Other() { } }", "has no endpoints")]
    public async Task Load_BadModuleClass_IsAFaultSayingWhy(string source, string reason)
    {
        using var tree = new TempTree();
        tree.AddCSharp("bad", source);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        Assert.Contains(reason, Assert.Single(runtime.Catalog.Faults).Reason);
    }

    [Fact]
    public async Task Load_UnchangedSources_AreTakenFromTheCacheNotCompiledAgain()
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using (var first = await RuntimeHarness.StartAsync(tree))
        {
            Assert.Contains(first.Logs.Entries, e => e.EventName == "Compiled");
        }

        await using var second = await RuntimeHarness.StartAsync(tree);
        Assert.DoesNotContain(second.Logs.Entries, e => e.EventName == "Compiled");
        Assert.Contains(second.Logs.Entries, e => e.EventName == "CompileCacheHit");
        Assert.Equal("xx", (await second.CallAsync("typed", "x")).AsString());
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("overwritten")]
    public async Task Load_CorruptCachedAssembly_IsRecompiledWithAWarning_AndTheModuleServes(string damage)
    {
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        await using (var first = await RuntimeHarness.StartAsync(tree))
        {
            Assert.Equal("xx", (await first.CallAsync("typed", "x")).AsString());
        }

        var cached = Assert.Single(Directory.GetFiles(Path.Combine(tree.CacheDirectory, "csharp"), "*.dll"));
        var length = new FileInfo(cached).Length;
        if (damage == "truncated")
        {
            using var file = new FileStream(cached, FileMode.Open);
            file.SetLength(length / 2);
        }
        else
        {
            var junk = new byte[length];
            new Random(12).NextBytes(junk);
            await File.WriteAllBytesAsync(cached, junk);
        }

        await using (var second = await RuntimeHarness.StartAsync(tree))
        {
            Assert.Contains(second.Logs.Entries, e => e.EventName == "CompileCacheCorrupt");
            Assert.Contains(second.Logs.Entries, e => e.EventName == "Compiled");
            Assert.Empty(second.Catalog.Faults);
            Assert.Equal("xx", (await second.CallAsync("typed", "x")).AsString());
        }

        // The recompiled entry is whole again: the next start takes it from the cache.
        Assert.Equal(length, new FileInfo(cached).Length);
        await using var third = await RuntimeHarness.StartAsync(tree);
        Assert.Contains(third.Logs.Entries, e => e.EventName == "CompileCacheHit");
    }

    [Fact]
    public async Task Unload_FreesTheCollectibleLoadContext()
    {
        // An in-process module's code is unloaded with it (a worker's, with its process).
        using var tree = new TempTree();
        tree.AddCSharp("typed", Typed);
        var weak = await LoadAndUnloadAsync(tree);

        // Unloading completes over several collections and finalizer passes; give it a bounded while
        // on a machine busy with the other tests.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (weak.IsAlive && DateTime.UtcNow < deadline)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(20);
        }

        Assert.False(weak.IsAlive, "the module's load context is still alive after unloading");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> LoadAndUnloadAsync(TempTree tree)
    {
        var options = Options.Create(new ModulusRuntimeOptions { TreeRoot = tree.Root, CacheDirectory = tree.CacheDirectory });
        var loader = new CSharpModuleLoader(new CSharpCompiler(), options, NullLogger<CSharpModuleLoader>.Instance);
        var source = Assert.Single(ModuleTreeScanner.Scan(tree.Root).Modules);
        var module = (CSharpLoadedModule)await loader.LoadAsync(source, CancellationToken.None);
        var weak = module.ContextReference;
        var endpoint = module.Info.Endpoints.Single(e => e.Name == "forward");
        Assert.Equal("aa", (await module.InvokeAsync(endpoint, ["a", null], new CallContext { Module = "typed", Endpoint = "forward" })).AsString());
        await module.DisposeAsync();
        return weak;
    }
}
