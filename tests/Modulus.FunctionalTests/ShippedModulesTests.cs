using Modulus.Sdk;

namespace Modulus.FunctionalTests;

/// <summary>Every module in modules/, called through a real host and client as an application would.</summary>
public sealed class ShippedModulesTests(ShippedModulesFixture fixture) : IClassFixture<ShippedModulesFixture>
{
    private Modulus.Client.ModulusClient Client => fixture.Host.Client;

    [Fact]
    public async Task Tree_LoadsEveryShippedModule_WithoutFaults()
    {
        // Loading the shipped tree, package restores included, logged no error.
        Assert.DoesNotContain(fixture.Host.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        var listing = await Client.ListAsync();
        Assert.Empty(listing.Faults);
        Assert.Equal(
            ["tensor.moments", "tensor.softmax", "text.generate", "text.stats", "text.tokenize", "util.echo", "util.notary", "util.pyecho"],
            listing.Modules.Select(m => m.Name));
    }

    [Fact]
    public async Task EveryShippedEndpoint_IsMarkedIdempotent_AsThePureFunctionsTheyAre()
    {
        // Each shipped endpoint computes its answer from its arguments alone: a failover client may run it again elsewhere.
        foreach (var module in (await Client.ListAsync()).Modules)
        {
            var info = await Client.InfoAsync(module.Name);
            Assert.NotEmpty(info.Endpoints);
            Assert.All(info.Endpoints, e => Assert.True(e.Idempotent, $"{module.Name}/{e.Name} is not marked idempotent"));
        }
    }

    [Fact]
    public async Task Notary_IsPaid_AndAHostWithoutAnEscrowRefusesItsCalls_SayingWhy()
    {
        // The price is shown to callers before they pay; a host with no chain cannot take payment at all.
        var info = await Client.InfoAsync("util.notary");
        Assert.Equal(Modulus.Modules.ModuleAccess.Paid, info.AccessMode);
        Assert.Equal("0.001", info.Price);
        var ex = await Assert.ThrowsAsync<ModulusException>(() => Client.CallAsync("util.notary", "hello"));
        Assert.Equal(StatusCode.PermissionDenied, ex.Code);
        Assert.Contains("util.notary", ex.Message);
        Assert.Contains("0.001", ex.Message);
    }

    [Fact]
    public void Tokenize_RunsOnTheNuGetPackagesItDeclares_RestoredIntoAnEmptyCache()
    {
        // The host carries no module's libraries: the tokenizer's came from its manifest's "packages".
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "Microsoft.ML.Tokenizers" && !a.IsCollectible);
        var restored = Directory.EnumerateFiles(fixture.PackagesDirectory, "Microsoft.ML.Tokenizers.dll", SearchOption.AllDirectories);
        Assert.NotEmpty(restored);
    }

    [Fact]
    public async Task ContentHash_IsThePackageHash_ThatModulusPackAndTheChainUse()
    {
        foreach (var module in (await Client.ListAsync()).Modules)
        {
            var folder = Path.Combine(Modulus.Testing.RepositoryPaths.Modules, Modulus.Modules.ModuleName.Parse(module.Name).ToRelativePath());
            Assert.Equal(Modulus.Modules.ModulePackage.Pack(folder).Sha256, module.ContentHash);
        }
    }

    [Fact]
    public async Task Generate_ContinuesInTheBeginningAsRecorded_InAWorker_TheHostNeverLoadsLlamaCpp()
    {
        var items = (await Client.CallAsync("text.generate/generate", ["In the beginning"], new Dictionary<string, Value> { ["max_tokens"] = 40, ["temperature"] = 0 })).AsList();
        Assert.Equal(" of the LORD thy God, and the LORD thy G", string.Concat(items.Select(i => i.AsString())));

        // llama.cpp lives in text.generate's worker alone: neither LLamaSharp nor a native llama
        // library is in this process, which is the host's.
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name is "LLamaSharp" or "Modulus.Runtime.Llama");
        Assert.DoesNotContain("libllama", File.ReadAllText("/proc/self/maps"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_GivesGpt2Ids_AndDecodesThemBack()
    {
        var ids = (await Client.CallAsync("text.tokenize", "hello world")).AsList().Select(v => v.AsInt());
        Assert.Equal([31373L, 995L], ids);

        const string Text = "Modulus serves machine-learning modules by name, from any language. Ünïcödé too!";
        var tokens = await Client.CallAsync("text.tokenize", Text);
        Assert.Equal(Text, (await Client.CallAsync("text.tokenize/decode", tokens)).AsString());
        Assert.Equal(tokens.AsList().Count, (await Client.CallAsync("text.tokenize/count", Text)).AsInt());
    }

    [Fact]
    public async Task Tokenize_DecodeOfAnIdOutsideTheVocabulary_IsInvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<ModulusException>(() => Client.CallAsync("text.tokenize/decode", Value.List(1, 60000)));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("60000", ex.Message);
    }

    [Fact]
    public async Task Softmax_RowsAreDistributions_MatchingTheDefinition()
    {
        var x = new float[] { 1, 2, 3, -1, 0, 1000 };
        var result = (await Client.CallAsync("tensor.softmax", Tensor.FromArray(x, 2, 3))).AsTensor();
        Assert.Equal([2L, 3L], result.Shape);
        var p = result.ToArray<float>();
        var row0 = new[] { Math.Exp(1), Math.Exp(2), Math.Exp(3) };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(row0[i] / row0.Sum(), p[i], 5);
        }

        Assert.Equal(1.0, p[3] + p[4] + p[5], 5);
        Assert.Equal(1.0, p[5], 5);

        var log = (await Client.CallAsync("tensor.softmax/log_softmax", Tensor.FromArray(new double[] { 0, 0 }))).AsTensor();
        Assert.Equal(Math.Log(0.5), log.ToArray<double>()[0], 10);

        var ex = await Assert.ThrowsAsync<ModulusException>(() => Client.CallAsync("tensor.softmax", Tensor.FromArray(new int[] { 1, 2 })));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("FP32 or FP64", ex.Message);
    }

    [Fact]
    public async Task TextStats_CountsWordsSentencesAndFrequentWords()
    {
        var stats = (await Client.CallAsync("text.stats", ["The cat sat. The cat ran!\nA dog."], new Dictionary<string, Value> { ["top"] = 2 })).AsMap();
        Assert.Equal(8, stats["words"].AsInt());
        Assert.Equal(3, stats["sentences"].AsInt());
        Assert.Equal(2, stats["lines"].AsInt());
        var top = stats["top_words"].AsList();
        Assert.Equal(2, top.Count);
        Assert.Equal("the", top[0].AsList()[0].AsString());
        Assert.Equal(2, top[0].AsList()[1].AsInt());
        Assert.Equal(ValueKind.Float, (await Client.CallAsync("text.stats/reading_ease", "Short words help.")).Kind);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<ModulusException>(() => Client.CallAsync("text.stats", ["x"], new Dictionary<string, Value> { ["top"] = -1 }))).Code);
    }

    [Fact]
    public async Task Moments_MatchTheDefinition_OverallAndAlongAnAxis()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var overall = (await Client.CallAsync("tensor.moments", Tensor.FromArray(data, 2, 3))).AsMap();
        Assert.Equal(3.5, overall["mean"].AsFloat(), 10);
        Assert.Equal(Math.Sqrt(data.Select(v => (v - 3.5) * (v - 3.5)).Average()), overall["std"].AsFloat(), 6);
        Assert.Equal(1.0, overall["min"].AsFloat());
        Assert.Equal(6.0, overall["max"].AsFloat());

        var perColumn = (await Client.CallAsync("tensor.moments", [Tensor.FromArray(data, 2, 3)], new Dictionary<string, Value> { ["axis"] = 0 })).AsMap();
        Assert.Equal(new double[] { 2.5, 3.5, 4.5 }, perColumn["mean"].AsTensor().ToArray<double>());

        var z = (await Client.CallAsync("tensor.moments/standardize", Tensor.FromArray(new double[] { 1, 2, 3, 4 }))).AsTensor();
        Assert.Equal(DType.FP32, z.DType);
        Assert.Equal(0.0, z.ToArray<float>().Sum(), 5);

        var ex = await Assert.ThrowsAsync<ModulusException>(() => Client.CallAsync("tensor.moments", [Tensor.FromArray(data, 2, 3)], new Dictionary<string, Value> { ["axis"] = 5 }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("axis 5 is out of range", ex.Message);
    }

    [Fact]
    public async Task Echo_CSharpAndPython_ReturnTheSameValueForEveryKind()
    {
        var value = Value.Map([
            new("null", Value.Null),
            new("bool", true),
            new("int", long.MinValue),
            new("float", 0.1),
            new("string", "héllo"),
            new("bytes", Value.FromBytes(new byte[] { 0, 1, 255 })),
            new("list", Value.List(1, "two", Value.List())),
            new("fp32", Tensor.FromArray(new float[] { 1.5f, -2 }, 2, 1)),
            new("int64", Tensor.FromArray(new long[] { 7 })),
            new("u8", Tensor.FromArray(new byte[] { 1, 2, 3 })),
        ]);

        Assert.Equal(value, await Client.CallAsync("util.echo", value));
        Assert.Equal(value, await Client.CallAsync("util.pyecho", value));
    }
}
