using System.Text.Json.Nodes;
using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary>
/// One real host serving the shipped model, modules/text/generate (kjv-small in GGUF, run by llama.cpp
/// in its worker), on gRPC, TCP, UDP and the OpenAI-compatible HTTP API.
/// </summary>
public sealed class ShippedModelFixture : IAsyncLifetime
{
    private readonly TempTree _tree = new();

    internal TestHost Host { get; private set; } = null!;

    /// <summary>What to give an OpenAI client: http://127.0.0.1:PORT/v1.</summary>
    public string BaseUrl => Host.Server.HttpAddress + "/v1";

    /// <summary>The host's address for a transport: "grpc", "tcp" or "udp".</summary>
    public string Address(string scheme) => Host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal));

    public async Task InitializeAsync()
    {
        _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, "text", "generate"), "text/generate");
        Host = await TestHost.StartAsync(_tree);
        Assert.Empty(Host.Server.Catalog.Faults);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _tree.Dispose();
    }
}

/// <summary>
/// The shipped text.generate as its users reach it: the same seed gives the same text whether it is
/// streamed or called over gRPC or TCP from C#, asked for over the OpenAI API by the official
/// <c>openai</c> npm client, or streamed and called from the Python caller; and that client lists the
/// model, completes a chat and streams one.
/// </summary>
public sealed class ShippedModelTests(ShippedModelFixture fixture) : IClassFixture<ShippedModelFixture>
{
    private const string Model = "text.generate";
    private const string Prompt = "In the beginning";
    private const int MaxTokens = 40;

    /// <summary>The greedy continuation (temperature 0), as recorded when the model was trained: what a sampled one is not.</summary>
    private const string Greedy = " of the LORD thy God, and the LORD thy G";

    /// <summary>
    /// Streams generate and calls it for one value (the list of its pieces) over gRPC and TCP, each
    /// seed with the model's default sampling (temperature 0.8, top_k 40, top_p 0.95), from Python.
    /// </summary>
    private const string PythonProgram = """
        import json, sys
        import modulus.client

        prompt, max_tokens = sys.argv[1], int(sys.argv[2])
        seeds, urls = [int(s) for s in sys.argv[3].split(",")], sys.argv[4:]
        texts = {}
        for url in urls:
            with modulus.client.connect(url, timeout=60) as host:
                for seed in seeds:
                    pieces = list(host.stream("text.generate/generate", prompt, max_tokens=max_tokens, seed=seed))
                    assert all(isinstance(p, str) and p for p in pieces), pieces
                    texts[f"python {url} stream seed {seed}"] = "".join(pieces)
                    texts[f"python {url} call seed {seed}"] = "".join(host.call("text.generate/generate", prompt, max_tokens=max_tokens, seed=seed))
        print(json.dumps(texts))
        """;

    private static Dictionary<string, Value> Settings(long seed) => new() { ["max_tokens"] = MaxTokens, ["seed"] = seed };

    /// <summary>What a C# client gets over one transport, streamed and called for one value.</summary>
    private async Task AddCSharpTextsAsync(Dictionary<string, string> texts, string scheme, long seed)
    {
        await using var client = ModulusClient.Connect(fixture.Address(scheme));
        var pieces = new List<string>();
        await foreach (var item in client.StreamAsync($"{Model}/generate", [Prompt], Settings(seed)))
        {
            pieces.Add(item.AsString());
        }

        Assert.All(pieces, p => Assert.NotEmpty(p));
        texts[$"C# {scheme} stream seed {seed}"] = string.Concat(pieces);
        texts[$"C# {scheme} call seed {seed}"] = string.Concat((await client.CallAsync($"{Model}/generate", [Prompt], Settings(seed))).AsList().Select(v => v.AsString()));
    }

    [Fact]
    public async Task SameSeed_GivesTheSameText_OverGrpcTcpTheOpenAiApiAndPython_AnotherSeedAnotherText()
    {
        var texts = new Dictionary<string, string>();
        foreach (var seed in new long[] { 1, 2 })
        {
            await AddCSharpTextsAsync(texts, "grpc", seed);
            await AddCSharpTextsAsync(texts, "tcp", seed);
        }

        // The official openai npm client over HTTP: a completion with the seed, streamed and not;
        // the other options are left to the model's defaults, as they are above.
        var openAi = await OpenAiClientDriver.RunAsync(
            fixture.BaseUrl,
            new { call = "completions.create", body = new { model = Model, prompt = Prompt, max_tokens = MaxTokens, seed = 1 } },
            new { call = "completions.create", body = new { model = Model, prompt = Prompt, max_tokens = MaxTokens, seed = 1, stream = true } },
            new { call = "completions.create", body = new { model = Model, prompt = Prompt, max_tokens = MaxTokens, seed = 2 } },
            new { call = "completions.create", body = new { model = Model, prompt = Prompt, max_tokens = MaxTokens, seed = 2, stream = true } });
        for (var i = 0; i < 4; i += 2)
        {
            var seed = 1 + (i / 2);
            var completion = openAi[i].Ok()["result"]!;
            Assert.Equal("text_completion", completion["object"]!.Text());
            Assert.Equal(Model, completion["model"]!.Text());
            var choice = completion["choices"]!.AsArray().Single()!;
            texts[$"openai completion seed {seed}"] = choice["text"]!.Text();

            var chunks = openAi[i + 1].Ok()["chunks"]!.AsArray().Select(c => c!).ToArray();
            Assert.NotEmpty(chunks);
            Assert.All(chunks, c => Assert.Equal("text_completion", c["object"]!.Text()));
            texts[$"openai streamed completion seed {seed}"] = string.Concat(chunks.Select(c => c["choices"]![0]!["text"]!.Text()));
            // The stream ends as the answer does: the same finish reason, in the last chunk alone.
            Assert.All(chunks[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
            Assert.Equal(choice["finish_reason"]!.Text(), chunks[^1]["choices"]![0]!["finish_reason"]!.Text());
        }

        // The Python caller, on the interpreter a user has, over gRPC and TCP.
        var python = JsonNode.Parse(await PythonCaller.RunAsync(PythonProgram, [Prompt, MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), "1,2", fixture.Address("grpc"), fixture.Address("tcp")]))!.AsObject();
        foreach (var (name, text) in python)
        {
            texts[name] = text!.Text();
        }

        var report = string.Join("\n", texts.Select(t => $"{t.Key}: \"{t.Value}\""));
        var bySeed = texts.GroupBy(t => t.Key[(t.Key.LastIndexOf(' ') + 1)..]).ToDictionary(g => g.Key, g => g.Select(t => t.Value).ToArray());
        Assert.True(bySeed["1"].Length == 10 && bySeed["2"].Length == 10, report);
        foreach (var seed in new[] { "1", "2" })
        {
            var first = bySeed[seed][0];
            Assert.False(string.IsNullOrEmpty(first), report);
            Assert.True(bySeed[seed].All(t => t == first), $"seed {seed} gave different texts:\n{report}");
        }

        Assert.True(bySeed["1"][0] != bySeed["2"][0], $"seeds 1 and 2 gave the same text:\n{report}");
        // Sampled, not greedy: the seed is what chose these tokens.
        Assert.True(bySeed["1"][0] != Greedy, report);
    }

    [Fact]
    public async Task OpenAiClient_ListsTheShippedModel_CompletesAChat_AndStreamsOne_AsTheModulesOwnChatDoes()
    {
        var messages = new object[] { new { role = "user", content = "Who made the heaven and the earth?" } };
        var chat = new { model = Model, messages, max_tokens = 30, seed = 3 };
        var streamed = new { model = Model, messages, max_tokens = 30, seed = 3, stream = true };
        var results = await OpenAiClientDriver.RunAsync(
            fixture.BaseUrl,
            new { call = "models.list" },
            new { call = "models.retrieve", id = Model },
            new { call = "chat.completions.create", body = chat },
            new { call = "chat.completions.create", body = streamed },
            new { call = "raw", method = "POST", path = "/v1/chat/completions", headers = new Dictionary<string, string> { ["content-type"] = "application/json" }, body = streamed });

        var model = Assert.Single(results[0].Ok()["result"]!.AsArray())!;
        Assert.Equal(Model, model["id"]!.Text());
        Assert.Equal("model", model["object"]!.Text());
        Assert.Equal("modulus", model["owned_by"]!.Text());
        Assert.Equal(["/v1/completions", "/v1/chat/completions", "/v1/embeddings"], model["modulus"]!["routes"]!.AsArray().Select(r => r!.Text()));
        Assert.Equal(Model, results[1].Ok()["result"]!["id"]!.Text());

        var answer = results[2].Ok()["result"]!;
        Assert.Equal("chat.completion", answer["object"]!.Text());
        Assert.Equal(Model, answer["model"]!.Text());
        var choice = answer["choices"]!.AsArray().Single()!;
        Assert.Equal("assistant", choice["message"]!["role"]!.Text());
        var content = choice["message"]!["content"]!.Text();
        Assert.False(string.IsNullOrWhiteSpace(content), answer.ToJsonString());
        var finish = choice["finish_reason"]!.Text();
        Assert.Contains(finish, new[] { "stop", "length" });
        var completionTokens = answer["usage"]!["completion_tokens"]!.GetValue<int>();
        Assert.InRange(completionTokens, 1, 30);
        Assert.Equal(finish == "length", completionTokens == 30);

        // The module's own chat endpoint, over gRPC with the same seed, answers the same.
        var direct = (await fixture.Host.Client.CallAsync($"{Model}/chat", [Value.List(Value.Map([new("role", "user"), new("content", "Who made the heaven and the earth?")]))],
            new Dictionary<string, Value> { ["max_tokens"] = 30, ["seed"] = 3 })).AsList();
        Assert.Equal(content, string.Concat(direct.Select(p => p.AsString())));
        Assert.Equal(completionTokens, direct.Count);

        // Streamed: the role first, the pieces joining to the same answer, the finish reason last, then [DONE].
        var chunks = results[3].Ok()["chunks"]!.AsArray().Select(c => c!).ToArray();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.Text()));
        Assert.Single(chunks.Select(c => c["id"]!.Text()).Distinct());
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.Text());
        Assert.Equal(content, string.Concat(chunks.Select(c => c["choices"]![0]!["delta"]!["content"]?.Text())));
        Assert.All(chunks[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        Assert.Equal(finish, chunks[^1]["choices"]![0]!["finish_reason"]!.Text());

        var raw = results[4].Ok()["result"]!;
        Assert.Equal(200, raw["status"]!.GetValue<int>());
        Assert.StartsWith("text/event-stream", raw["contentType"]!.Text(), StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", raw["text"]!.Text(), StringComparison.Ordinal);
        Assert.Equal(chunks.Length + 1, raw["text"]!.Text().Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
