using System.Text;
using System.Text.Json;
using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Models.Tests;

/// <summary>
/// One real host serving the shipped text.generate and the three tiny GGUF test models as gguf
/// modules (each in its worker process), for the tests that call them as an application would.
/// </summary>
public sealed class GgufHostFixture : IAsyncLifetime
{
    private readonly TempTree _tree = new();

    internal TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, "text", "generate"), "text/generate");
        foreach (var (file, name) in GgufModuleTests.TinyModels)
        {
            File.Copy(Path.Combine(RepositoryPaths.Root, "tests", "models", file), Path.Combine(Directory.CreateDirectory(Path.Combine(_tree.Root, "tiny", name)).FullName, file));
            _tree.Write($"tiny/{name}/module.json", $$"""{ "name": "tiny.{{name}}", "version": "1.0.0", "language": "gguf", "model": "{{file}}", "contexts": 1, "threads": 1 }""");
        }

        // The tiny llama with a ChatML template, to serve chat through a model's own template.
        Directory.CreateDirectory(Path.Combine(_tree.Root, "tiny", "chatml"));
        File.WriteAllBytes(Path.Combine(_tree.Root, "tiny", "chatml", "chatml.gguf"),
            WithChatTemplate(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "models", "tiny-llama.q8_0.gguf")), GgufModuleTests.ChatMl));
        _tree.Write("tiny/chatml/module.json", """{ "name": "tiny.chatml", "version": "1.0.0", "language": "gguf", "model": "chatml.gguf", "contexts": 1, "threads": 1 }""");

        Host = await TestHost.StartAsync(_tree);
    }

    /// <summary>
    /// A GGUF file with <c>tokenizer.chat_template</c> added as its first key: the header's key count
    /// goes up by one and the new key is padded (with spaces in the template) to a multiple of the
    /// file's 32-byte alignment, so the tensor data stays aligned and every offset stays right.
    /// </summary>
    private static byte[] WithChatTemplate(byte[] gguf, string template)
    {
        const int Alignment = 32;
        var key = Encoding.UTF8.GetBytes("tokenizer.chat_template");
        var value = Encoding.UTF8.GetBytes(template);
        var size = 8 + key.Length + 4 + 8 + value.Length;
        value = [.. value, .. Enumerable.Repeat((byte)' ', (Alignment - size % Alignment) % Alignment)];
        using var file = new MemoryStream();
        using var writer = new BinaryWriter(file);
        writer.Write(gguf, 0, 16);                                        // magic, version, tensor count
        writer.Write(BitConverter.ToUInt64(gguf, 16) + 1);                // key count
        writer.Write((ulong)key.Length);
        writer.Write(key);
        writer.Write(8u);                                                 // GGUF string
        writer.Write((ulong)value.Length);
        writer.Write(value);
        writer.Write(gguf, 24, gguf.Length - 24);
        writer.Flush();
        return file.ToArray();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _tree.Dispose();
    }
}

/// <summary>The gguf module kind end to end: manifests, a real host, workers running llama.cpp, and the client.</summary>
public sealed class GgufModuleTests(GgufHostFixture fixture) : IClassFixture<GgufHostFixture>
{
    internal static readonly (string File, string Name)[] TinyModels =
        [("tiny-llama.q8_0.gguf", "llama"), ("tiny-gptneox.f16.gguf", "gptneox"), ("tiny-bloom.f32.gguf", "bloom")];

    /// <summary>The ChatML template as models carry it; llama.cpp knows it by its markers.</summary>
    internal const string ChatMl = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static readonly string Shipped = Path.Combine(RepositoryPaths.Modules, "text", "generate");

    private ModulusClient Client => fixture.Host.Client;

    /// <summary>A streaming endpoint called without a stream answers with the list of its items; the text is their concatenation.</summary>
    private async Task<(string Text, IReadOnlyList<string> Items)> GenerateAsync(string target, Value input, Dictionary<string, Value> kwargs, ModulusCallOptions? options = null)
    {
        var items = (await Client.CallAsync(target, [input], kwargs, options)).AsList().Select(v => v.AsString()).ToArray();
        return (string.Concat(items), items);
    }

    [Fact]
    public async Task ListAndInfo_ServeEveryGgufModule_WithTheContractsEndpoints()
    {
        var listing = await Client.ListAsync();
        Assert.Empty(listing.Faults);
        Assert.Equal(["text.generate", "tiny.bloom", "tiny.chatml", "tiny.gptneox", "tiny.llama"], listing.Modules.Select(m => m.Name).Order());

        var info = await Client.InfoAsync("text.generate");
        Assert.Equal("gguf", info.Language);
        Assert.Equal(
            [
                "generate(prompt: string, max_tokens: int = 128, temperature: float = 0.8, top_p: float = 0.95, top_k: int = 40, seed: int = -1, stop: list[string] = []) -> stream[string]",
                "forward(prompt: string, max_tokens: int = 128, temperature: float = 0.8, top_p: float = 0.95, top_k: int = 40, seed: int = -1, stop: list[string] = []) -> stream[string]",
                "chat(messages: list[map], max_tokens: int = 128, temperature: float = 0.8, top_p: float = 0.95, top_k: int = 40, seed: int = -1, stop: list[string] = []) -> stream[string]",
                "tokenize(text: string) -> list[int]",
                "embed(text: string) -> list[float]",
                "info() -> map",
            ],
            info.Endpoints.Select(e => e.Signature));
        Assert.All(info.Endpoints, e => Assert.True(e.Idempotent, e.Name));
        Assert.All(info.Endpoints, e => Assert.False(string.IsNullOrEmpty(e.Description), e.Name));
        Assert.Equal(["generate", "forward", "chat"], info.Endpoints.Where(e => e.Streaming).Select(e => e.Name));
    }

    [Fact]
    public async Task CalledWithNoEndpoint_Generates_AsGenerateDoes()
    {
        // `modulus call text.generate "In the beginning" --kw seed=1 --stream` names no endpoint.
        var settings = new Dictionary<string, Value> { ["max_tokens"] = Value.From(40L), ["seed"] = Value.From(1L) };
        var (named, _) = await GenerateAsync("text.generate/generate", "In the beginning", settings);
        var (unnamed, _) = await GenerateAsync("text.generate", "In the beginning", settings);
        Assert.NotEmpty(named);
        Assert.Equal(named, unnamed);
    }

    [Fact]
    public async Task Generate_Greedy_ContinuesInTheBeginningAsRecordedWhenTheModelWasTrained()
    {
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Shipped, "training.json")));
        foreach (var greedy in record.RootElement.GetProperty("greedy").EnumerateArray())
        {
            var (text, items) = await GenerateAsync("text.generate/generate", greedy.GetProperty("prompt").GetString()!,
                new() { ["max_tokens"] = greedy.GetProperty("tokens").GetInt32(), ["temperature"] = 0 });

            Assert.Equal(greedy.GetProperty("reference_for_q8_0_file").GetString(), text);
            // Each byte-level token is a character of its own, sent as soon as it is made.
            Assert.Equal(greedy.GetProperty("tokens").GetInt32(), items.Count);
            Assert.All(items, item => Assert.NotEmpty(item));
        }
    }

    [Fact]
    public async Task Generate_ManyAtOnce_BeyondThePool_EachGivesTheGreedyText()
    {
        // Two contexts serve text.generate; the other calls wait for one, and none disturbs another's arithmetic.
        var calls = Enumerable.Range(0, 5).Select(_ => GenerateAsync("text.generate/generate", "In the beginning", new() { ["max_tokens"] = 40, ["temperature"] = 0 }));
        var texts = await Task.WhenAll(calls);
        Assert.All(texts, t => Assert.Equal(" of the LORD thy God, and the LORD thy G", t.Text));
    }

    [Fact]
    public async Task Generate_SameSeed_SameText_OtherSeed_OtherText()
    {
        Dictionary<string, Value> Sampled(long seed) => new() { ["max_tokens"] = 60, ["temperature"] = 1.5, ["top_k"] = 0, ["top_p"] = 1.0, ["seed"] = seed };

        var first = await GenerateAsync("text.generate/generate", "And God said", Sampled(7));
        var again = await GenerateAsync("text.generate/generate", "And God said", Sampled(7));
        var other = await GenerateAsync("text.generate/generate", "And God said", Sampled(8));

        Assert.Equal(first.Text, again.Text);
        Assert.NotEqual(first.Text, other.Text);
        Assert.NotEqual(" unto him, What is the mountains of the ", first.Text);
    }

    [Fact]
    public async Task Generate_StopString_EndsTheTextBeforeIt_AndIsNotSent()
    {
        var (text, _) = await GenerateAsync("text.generate/generate", "In the beginning", new() { ["max_tokens"] = 40, ["temperature"] = 0, ["stop"] = Value.List("God", "zzz") });
        Assert.Equal(" of the LORD thy ", text);

        // A stop string that never comes holds nothing back for good.
        var (whole, _) = await GenerateAsync("text.generate/generate", "In the beginning", new() { ["max_tokens"] = 40, ["temperature"] = 0, ["stop"] = Value.List("LORD thy Gx") });
        Assert.Equal(" of the LORD thy God, and the LORD thy G", whole);
    }

    [Fact]
    public async Task Generate_PromptAndMaxTokensBeyondTheContext_IsInvalidArgumentWithBothNumbers()
    {
        var prompt = new string('a', 120);
        var ex = await Assert.ThrowsAsync<ModulusException>(() => GenerateAsync("text.generate/generate", prompt, new() { ["max_tokens"] = 40 }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Equal("prompt of 120 tokens plus max_tokens 40 is 160, beyond text.generate's context of 128 tokens; shorten the prompt or lower max_tokens", ex.Message);

        // Exactly the context is fine.
        var (text, items) = await GenerateAsync("text.generate/generate", prompt, new() { ["max_tokens"] = 8, ["temperature"] = 0 });
        Assert.Equal(8, items.Count);
    }

    [Theory]
    [InlineData("max_tokens", "0", "max_tokens must be at least 1, not 0")]
    [InlineData("temperature", "-0.5", "temperature must be 0 (greedy: always the most likely token) or more, not -0.5")]
    [InlineData("top_p", "1.5", "top_p must be more than 0 and at most 1")]
    [InlineData("top_p", "0", "top_p must be more than 0 and at most 1")]
    [InlineData("top_k", "-1", "top_k must be 0 (no limit) or more, not -1")]
    [InlineData("seed", "-2", "seed must be -1 (a random seed) or from 0 to 4294967294, not -2")]
    public async Task Generate_BadSetting_IsInvalidArgumentNamingTheParameter(string parameter, string json, string expected)
    {
        var ex = await Assert.ThrowsAsync<ModulusException>(() => GenerateAsync("text.generate/generate", "In the beginning", new() { [parameter] = ValueJson.Parse(json) }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.StartsWith("text.generate/generate: " + expected, ex.Message);
    }

    [Fact]
    public async Task Generate_EmptyStopString_IsInvalidArgument()
    {
        var ex = await Assert.ThrowsAsync<ModulusException>(() => GenerateAsync("text.generate/generate", "In", new() { ["stop"] = Value.List("\n", "") }));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("stop[1] is empty", ex.Message);
    }

    [Fact]
    public async Task Generate_PastItsDeadline_IsDeadlineExceeded_AndTheWorkerServesTheNextCall()
    {
        using var noErrors = fixture.Host.VerifyNoErrors();
        // 120 tokens cannot be made in a millisecond; the worker stops at its next token, well inside the cancel grace.
        var ex = await Assert.ThrowsAsync<ModulusException>(() => GenerateAsync("text.generate/generate", "In", new() { ["max_tokens"] = 120 }, new ModulusCallOptions(TimeSpan.FromMilliseconds(1))));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);

        var (text, _) = await GenerateAsync("text.generate/generate", "In the beginning", new() { ["max_tokens"] = 40, ["temperature"] = 0 });
        Assert.Equal(" of the LORD thy God, and the LORD thy G", text);
        Assert.DoesNotContain(fixture.Host.Logs.Entries, e => e.EventName is "WorkerKilled" or "WorkerDied");
    }

    [Fact]
    public async Task Tokenize_GivesTheBytesOfAByteLevelModel_WithoutBos()
    {
        var ids = (await Client.CallAsync("text.generate/tokenize", "In the beginning")).AsList().Select(v => v.AsInt());
        Assert.Equal(Encoding.UTF8.GetBytes("In the beginning").Select(b => (long)b), ids);
        Assert.Equal([0xC3L, 0xA9L], (await Client.CallAsync("text.generate/tokenize", "é")).AsList().Select(v => v.AsInt()));
        Assert.Empty((await Client.CallAsync("text.generate/tokenize", "")).AsList());
    }

    [Fact]
    public async Task Embed_IsAUnitVectorOfTheEmbeddingLength_TheSameForTheSameText()
    {
        var info = (await Client.CallAsync("text.generate/info")).AsMap();
        var a = (await Client.CallAsync("text.generate/embed", "In the beginning God created the heaven and the earth.")).AsList().Select(v => v.AsFloat()).ToArray();
        var again = (await Client.CallAsync("text.generate/embed", "In the beginning God created the heaven and the earth.")).AsList().Select(v => v.AsFloat()).ToArray();
        var b = (await Client.CallAsync("text.generate/embed", "1234567890 qwertz")).AsList().Select(v => v.AsFloat()).ToArray();

        Assert.Equal(info["embedding_length"].AsInt(), a.Length);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(v => v * v)), 4);
        Assert.Equal(a, again);
        Assert.True(a.Zip(b).Sum(p => p.First * p.Second) < 0.9999, "two unrelated texts have the same embedding");

        var ex = await Assert.ThrowsAsync<ModulusException>(() => Client.CallAsync("text.generate/embed", new string('x', 200)));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("text of 200 tokens is beyond text.generate's context of 128 tokens", ex.Message);
    }

    [Fact]
    public async Task Info_DescribesTheModel()
    {
        var info = (await Client.CallAsync("text.generate/info")).AsMap();
        Assert.Equal("llama", info["architecture"].AsString());
        Assert.Equal(128, info["context"].AsInt());
        Assert.Equal(128, info["training_context"].AsInt());
        Assert.Equal(1_870_272, info["parameters"].AsInt());
        Assert.Equal(192, info["embedding_length"].AsInt());
        Assert.Equal(4, info["layers"].AsInt());
        Assert.Equal(258, info["vocabulary"].AsInt());
        Assert.Equal("Q8_0", info["quantization"].AsString());
        Assert.Equal(new FileInfo(Path.Combine(Shipped, "kjv-small.q8_0.gguf")).Length, info["file_size"].AsInt());
        Assert.Equal("kjv-small.q8_0.gguf", info["model"].AsString());
        Assert.Equal(2, info["contexts"].AsInt());
        Assert.Equal("fallback", info["chat_template"].AsString());
    }

    [Fact]
    public async Task Chat_WithoutATemplate_AnswersAfterThePlainFallbackPrompt()
    {
        var messages = Value.List(
            Value.Map([new("role", "system"), new("content", "Thou answerest as the scripture.")]),
            Value.Map([new("role", "user"), new("content", "Who made the heaven?")]));
        var (text, items) = await GenerateAsync("text.generate/chat", messages, new() { ["max_tokens"] = 24, ["temperature"] = 0 });

        Assert.NotEmpty(items);
        Assert.DoesNotContain("\nUser:", text);
        // The fallback prompt is the one documented: the same text through generate gives the same answer.
        var (direct, _) = await GenerateAsync("text.generate/generate", "System: Thou answerest as the scripture.\nUser: Who made the heaven?\nAssistant:",
            new() { ["max_tokens"] = 24, ["temperature"] = 0, ["stop"] = Value.List("\nUser:") });
        Assert.Equal(direct, text);
    }

    [Fact]
    public async Task Chat_WithTheModelsTemplate_AnswersAfterThePromptTheTemplateMakes()
    {
        Assert.Equal("model", (await Client.CallAsync("tiny.chatml/info")).AsMap()["chat_template"].AsString());
        var messages = Value.List(Value.Map([new("role", "user"), new("content", "hi")]));
        var (text, _) = await GenerateAsync("tiny.chatml/chat", messages, new() { ["max_tokens"] = 8, ["temperature"] = 0 });

        // ChatML as llama.cpp applies it, with the assistant's turn opened; the same model continues
        // that text the same way through generate (and continues the fallback's text otherwise).
        var (direct, _) = await GenerateAsync("tiny.chatml/generate", "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", new() { ["max_tokens"] = 8, ["temperature"] = 0 });
        var (fallback, _) = await GenerateAsync("tiny.chatml/generate", "User: hi\nAssistant:", new() { ["max_tokens"] = 8, ["temperature"] = 0 });
        Assert.Equal(direct, text);
        Assert.NotEqual(fallback, text);
    }

    [Theory]
    [InlineData("""[]""", "messages is empty")]
    [InlineData("""[{"role": "user", "content": "hi"}, "hello"]""", "argument \"messages[1]\" must be map")]
    [InlineData("""[{"role": "bot", "content": "hi"}]""", "messages[0].role must be one of \"system\", \"user\", \"assistant\", not the string \"bot\"")]
    [InlineData("""[{"content": "hi"}]""", "messages[0] has no \"role\"")]
    [InlineData("""[{"role": "user"}]""", "messages[0] has no \"content\"")]
    [InlineData("""[{"role": "user", "content": "a"}, {"role": "assistant", "content": 5}]""", "messages[1].content must be a string, not the int 5")]
    public async Task Chat_BadMessages_AreInvalidArgumentSayingWhichIndexAndField(string messages, string expected)
    {
        var ex = await Assert.ThrowsAsync<ModulusException>(() => GenerateAsync("text.generate/chat", ValueJson.Parse(messages), []));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("text.generate/chat: " + expected, ex.Message);
    }

    [Theory]
    [InlineData("tiny-llama.q8_0.gguf", "tiny.llama", "llama")]
    [InlineData("tiny-gptneox.f16.gguf", "tiny.gptneox", "gptneox")]
    [InlineData("tiny-bloom.f32.gguf", "tiny.bloom", "bloom")]
    public async Task TinyModelOfEachArchitecture_ServedAsAModule_GeneratesWhatLlamaCppRecorded(string file, string module, string architecture)
    {
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "models", "expected.json")));
        var expected = record.RootElement.GetProperty("models").GetProperty(file);
        var ids = expected.GetProperty("llamacpp_greedy_ids").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();

        var (text, items) = await GenerateAsync($"{module}/generate", record.RootElement.GetProperty("prompt").GetString()!, new() { ["max_tokens"] = ids.Length, ["temperature"] = 0 });

        // Random weights make random bytes: the stream carries them as UTF-8, each incomplete sequence
        // held back until it completes, and bytes that never can as U+FFFD, never as an empty item.
        Assert.Equal(new UTF8Encoding(false, false).GetString(ids), text);
        Assert.All(items, item => Assert.NotEmpty(item));
        var info = (await Client.CallAsync($"{module}/info")).AsMap();
        Assert.Equal(architecture, info["architecture"].AsString());
        Assert.Equal(64, info["context"].AsInt());
        Assert.Equal(1, info["contexts"].AsInt());
    }
}

/// <summary>gguf modules a host refuses, each with the field and the file in its fault, while the rest of the tree serves.</summary>
public sealed class GgufManifestFaultTests
{
    [Fact]
    public async Task BadGgufModules_AreFaultsNamingTheFieldAndTheFile_TheGoodOneServes()
    {
        using var tree = new TempTree();
        var tiny = Path.Combine(RepositoryPaths.Root, "tests", "models", "tiny-llama.q8_0.gguf");
        void Module(string name, string manifest, string? file = null, byte[]? bytes = null)
        {
            tree.Write($"{name}/module.json", manifest);
            if (file is not null)
            {
                File.WriteAllBytes(Path.Combine(tree.Root, name, file), bytes ?? File.ReadAllBytes(tiny));
            }
        }

        Module("good", """{ "name": "good", "version": "1.0.0", "language": "gguf", "model": "tiny.gguf", "contexts": 1, "threads": 1 }""", "tiny.gguf");
        Module("missing", """{ "name": "missing", "version": "1.0.0", "language": "gguf", "model": "absent.gguf" }""");
        Module("html", """{ "name": "html", "version": "1.0.0", "language": "gguf", "model": "page.gguf" }""", "page.gguf", "<html>404</html>"u8.ToArray());
        Module("wide", """{ "name": "wide", "version": "1.0.0", "language": "gguf", "model": "tiny.gguf", "context": 4096, "contexts": 1 }""", "tiny.gguf");
        Module("inside", """{ "name": "inside", "version": "1.0.0", "language": "gguf", "model": "tiny.gguf", "isolation": "inprocess" }""", "tiny.gguf");
        // GGUF magic, then nothing a model needs: llama.cpp's own reason is in the fault.
        Module("cut", """{ "name": "cut", "version": "1.0.0", "language": "gguf", "model": "cut.gguf", "contexts": 1 }""", "cut.gguf", File.ReadAllBytes(tiny)[..4096]);

        await using var host = await TestHost.StartAsync(tree);
        var listing = await host.Client.ListAsync();

        Assert.Equal(["good"], listing.Modules.Select(m => m.Name));
        string FaultOf(string folder) => Assert.Single(listing.Faults, f => f.Path.Contains(Path.Combine(tree.Root, folder), StringComparison.Ordinal)).Reason;
        Assert.Contains("\"model\" file \"absent.gguf\" does not exist in", FaultOf("missing"));
        Assert.Contains("\"model\" file \"page.gguf\" is not a GGUF file", FaultOf("html"));
        Assert.Equal("\"context\" 4096 is beyond the 64 tokens tiny.gguf was trained for; give at most 64, or leave \"context\" out to use all of it", FaultOf("wide"));
        Assert.Contains("\"isolation\": \"inprocess\" is not available to gguf modules", FaultOf("inside"));
        Assert.StartsWith("llama.cpp cannot load this model", FaultOf("cut"));
    }
}
