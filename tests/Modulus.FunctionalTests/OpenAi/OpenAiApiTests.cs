using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary>
/// The OpenAI-compatible HTTP API of a real host, driven by the official <c>openai</c> npm client over
/// a real socket: what a user of that client sees, and what the model on the other side did.
/// </summary>
public sealed class OpenAiApiTests(OpenAiHostFixture fixture) : IClassFixture<OpenAiHostFixture>
{
    private const string Words = "lm.words";

    private string BaseUrl => fixture.BaseUrl;

    private static object[] Conversation(string last = "Hello there") =>
        [new { role = "system", content = "Be brief." }, new { role = "user", content = last }];

    [Fact]
    public async Task ListModels_IsEveryServedModuleWithAStreamingGenerate_ButNoPaidOneAndNoOtherModule()
    {
        var results = await OpenAiClientDriver.RunAsync(BaseUrl, new { call = "models.list" }, new { call = "models.retrieve", id = Words });

        var models = results[0].Ok()["result"]!.AsArray();
        Assert.Equal(["lm.allow", "lm.plain", "lm.signed", "lm.words"], models.Select(m => m!["id"]!.Text()));
        Assert.All(models, m => Assert.Equal("model", m!["object"]!.Text()));
        Assert.All(models, m => Assert.Equal("modulus", m!["owned_by"]!.Text()));
        var words = models.Single(m => m!["id"]!.Text() == Words)!;
        Assert.Equal(["/v1/completions", "/v1/chat/completions", "/v1/embeddings"], words["modulus"]!["routes"]!.AsArray().Select(r => r!.Text()));
        var plain = models.Single(m => m!["id"]!.Text() == "lm.plain")!;
        Assert.Equal(["/v1/completions"], plain["modulus"]!["routes"]!.AsArray().Select(r => r!.Text()));
        Assert.True(words["created"]!.GetValue<long>() > 1_700_000_000);

        Assert.Equal(Words, results[1].Ok()["result"]!["id"]!.Text());
    }

    [Fact]
    public async Task Completion_ContinuesThePrompt_PassesTheSamplingOptions_AndCountsUsage()
    {
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "completions.create", body = new { model = Words, prompt = "In the beginning", max_tokens = 5, temperature = 0.25, top_p = 0.5, seed = 7 } },
            new { call = "completions.create", body = new { model = Words, prompt = "In the beginning", max_tokens = 50, stop = new[] { "earth", "void" } } },
            new { call = "completions.create", body = new { model = Words, prompt = new[] { "In the beginning God" }, max_tokens = 2, stop = "never said" } });

        var cut = results[0].Ok()["result"]!;
        Assert.Equal("text_completion", cut["object"]!.Text());
        Assert.StartsWith("cmpl-", cut["id"]!.Text(), StringComparison.Ordinal);
        Assert.Equal(Words, cut["model"]!.Text());
        var choice = cut["choices"]!.AsArray().Single()!;
        Assert.Equal(" God created the heaven and", choice["text"]!.Text());
        Assert.Equal("length", choice["finish_reason"]!.Text());
        // Byte-level model: the prompt is 16 tokens; the completion is the 5 pieces it streamed.
        AssertUsage(cut, prompt: 16, completion: 5);

        var stopped = results[1].Ok()["result"]!["choices"]![0]!;
        Assert.Equal(" God created the heaven and the ", stopped["text"]!.Text());
        Assert.Equal("stop", stopped["finish_reason"]!.Text());

        var fromArray = results[2].Ok()["result"]!["choices"]![0]!;
        Assert.Equal(" created the", fromArray["text"]!.Text());

        // What the model was called with, as it saw it.
        var first = await OpenAiClientDriver.RunOneAsync(BaseUrl, new { call = "completions.create", body = new { model = Words, prompt = "And", max_tokens = 3, temperature = 0.25, top_p = 0.5, seed = 7, stop = new[] { "x" } } });
        first.Ok();
        var last = (await fixture.StatsAsync(Words))["last"].AsMap();
        Assert.Equal("generate", last["endpoint"].AsString());
        Assert.Equal("And", last["input"].AsString());
        Assert.Equal(3, last["max_tokens"].AsInt());
        Assert.Equal(0.25, last["temperature"].AsFloat());
        Assert.Equal(0.5, last["top_p"].AsFloat());
        Assert.Equal(7, last["seed"].AsInt());
        Assert.Equal(40, last["top_k"].AsInt());
        Assert.Equal(["x"], last["stop"].AsList().Select(s => s.AsString()));
        Assert.True(last["caller"].IsNull, "a request without a known key is an unsigned call");
    }

    [Fact]
    public async Task ChatCompletion_AnswersTheConversation_AsTheAssistant()
    {
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "chat.completions.create", body = new { model = Words, messages = Conversation() } },
            new
            {
                call = "chat.completions.create",
                body = new
                {
                    model = Words,
                    max_completion_tokens = 3,
                    messages = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "Hello " }, new { type = "text", text = "again" } } } },
                },
            });

        var answer = results[0].Ok()["result"]!;
        Assert.Equal("chat.completion", answer["object"]!.Text());
        Assert.StartsWith("chatcmpl-", answer["id"]!.Text(), StringComparison.Ordinal);
        var choice = answer["choices"]!.AsArray().Single()!;
        Assert.Equal("assistant", choice["message"]!["role"]!.Text());
        Assert.Equal("2 messages; the last, from user, said: Hello there", choice["message"]!["content"]!.Text());
        Assert.Equal("stop", choice["finish_reason"]!.Text());
        // The prompt counted is the contents, one a line: "Be brief.\nHello there" is 21 bytes.
        AssertUsage(answer, prompt: 21, completion: 9);

        var parts = results[1].Ok()["result"]!["choices"]![0]!;
        Assert.Equal("1 messages; the", parts["message"]!["content"]!.Text());
        Assert.Equal("length", parts["finish_reason"]!.Text());
    }

    [Fact]
    public async Task StreamedChat_PiecesJoinToTheAnswer_FirstChunkHasTheRole_LastTheFinishReason_ThenUsage_ThenDone()
    {
        var body = new { model = Words, messages = Conversation(), max_tokens = 4, stream = true, stream_options = new { include_usage = true } };
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "chat.completions.create", body },
            new { call = "raw", method = "POST", path = "/v1/chat/completions", headers = new Dictionary<string, string> { ["content-type"] = "application/json" }, body });

        var chunks = results[0].Ok()["chunks"]!.AsArray().Select(c => c!).ToArray();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.Text()));
        Assert.Single(chunks.Select(c => c["id"]!.Text()).Distinct());
        var first = chunks[0]["choices"]![0]!;
        Assert.Equal("assistant", first["delta"]!["role"]!.Text());
        var pieces = chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]!["content"]?.Text()).OfType<string>();
        Assert.Equal("2 messages; the last,", string.Concat(pieces));
        var withChoices = chunks.Where(c => c["choices"]!.AsArray().Count > 0).ToArray();
        Assert.All(withChoices[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        Assert.Equal("length", withChoices[^1]["choices"]![0]!["finish_reason"]!.Text());
        // include_usage: every chunk says "usage": null but the last, which has no choices and the counts.
        Assert.All(chunks[..^1], c => Assert.Null(c["usage"]));
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        AssertUsage(chunks[^1], prompt: 21, completion: 4);

        var raw = results[1].Ok()["result"]!;
        Assert.Equal(200, raw["status"]!.GetValue<int>());
        Assert.StartsWith("text/event-stream", raw["contentType"]!.Text(), StringComparison.Ordinal);
        var text = raw["text"]!.Text();
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal(chunks.Length + 1, events.Length);
    }

    [Fact]
    public async Task StreamedCompletion_PiecesJoinToTheText_WithoutUsageUnlessAsked()
    {
        var result = await OpenAiClientDriver.RunOneAsync(BaseUrl, new { call = "completions.create", body = new { model = Words, prompt = "In the beginning God created", max_tokens = 60, stream = true } });

        var chunks = result.Ok()["chunks"]!.AsArray().Select(c => c!).ToArray();
        Assert.All(chunks, c => Assert.Equal("text_completion", c["object"]!.Text()));
        Assert.All(chunks, c => Assert.Null(c["usage"]));
        Assert.Equal(
            " the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.",
            string.Concat(chunks.Select(c => c["choices"]![0]!["text"]!.Text())));
        Assert.Equal("stop", chunks[^1]["choices"]![0]!["finish_reason"]!.Text());
    }

    [Fact]
    public async Task Embeddings_OneVectorPerInput_InBase64AsTheClientAsksByDefault_AndAsFloats()
    {
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "embeddings.create", body = new { model = Words, input = new[] { "In the beginning", "God" } } },
            new { call = "embeddings.create", body = new { model = Words, input = "And God said", encoding_format = "float" } });

        var list = results[0].Ok()["result"]!;
        Assert.Equal(Words, list["model"]!.Text());
        var data = list["data"]!.AsArray();
        Assert.Equal([0, 1], data.Select(d => d!["index"]!.GetValue<int>()));
        Assert.Equal([16.0, 3, 0.5, -1.25], data[0]!["embedding"]!.AsArray().Select(x => x!.GetValue<double>()));
        Assert.Equal([3.0, 1, 0.5, -1.25], data[1]!["embedding"]!.AsArray().Select(x => x!.GetValue<double>()));
        Assert.Equal(19, list["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(19, list["usage"]!["total_tokens"]!.GetValue<int>());

        var floats = results[1].Ok()["result"]!["data"]![0]!["embedding"]!.AsArray();
        Assert.Equal([12.0, 3, 0.5, -1.25], floats.Select(x => x!.GetValue<double>()));
    }

    [Fact]
    public async Task UnknownModel_Is404InOpenAisShape_ListingTheModelsThereAre()
    {
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "chat.completions.create", body = new { model = "gpt-4o", messages = Conversation() } },
            new { call = "raw", method = "POST", path = "/v1/completions", body = new { model = "gpt-4o", prompt = "hi" } },
            new { call = "chat.completions.create", body = new { model = "lm.plain", messages = Conversation() } },
            new { call = "completions.create", body = new { model = "util.echo", prompt = "hi" } },
            new { call = "embeddings.create", body = new { model = "lm.plain", input = "hi" } });

        var missing = results[0].Failed();
        Assert.Equal(404, missing["status"]!.GetValue<int>());
        Assert.Equal("NotFoundError", missing["name"]!.Text());
        Assert.Equal("model_not_found", missing["code"]!.Text());
        Assert.Equal("model", missing["param"]!.Text());
        Assert.Equal("invalid_request_error", missing["type"]!.Text());
        Assert.Contains("`gpt-4o` does not exist", missing["message"]!.Text());
        // A chat model is one with a chat endpoint: lm.plain has none.
        Assert.Contains("Models for /v1/chat/completions here: lm.allow, lm.signed, lm.words.", missing["message"]!.Text());

        var raw = results[1].Ok()["result"]!;
        Assert.Equal(404, raw["status"]!.GetValue<int>());
        Assert.StartsWith("application/json", raw["contentType"]!.Text(), StringComparison.Ordinal);
        var error = JsonNode.Parse(raw["text"]!.Text())!.AsObject();
        Assert.Equal(["error"], error.Select(p => p.Key));
        Assert.Equal(["message", "type", "param", "code"], error["error"]!.AsObject().Select(p => p.Key));

        Assert.Contains("cannot serve /v1/chat/completions: it has no streaming chat endpoint", results[2].Failed()["message"]!.Text());
        Assert.Contains("`util.echo` is served here but is not a model", results[3].Failed()["message"]!.Text());
        Assert.Contains("Models for /v1/embeddings here: lm.allow, lm.signed, lm.words.", results[4].Failed()["message"]!.Text());
    }

    [Fact]
    public async Task BadRequests_Are400InvalidRequestErrors_NamingTheField()
    {
        var json = new Dictionary<string, string> { ["content-type"] = "application/json" };
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "chat.completions.create", body = new { model = Words, messages = Conversation(), temperature = "hot" } },
            new { call = "chat.completions.create", body = new { model = Words, messages = Conversation(), frobnicate = 1 } },
            new { call = "completions.create", body = new { model = Words, prompt = "In", n = 2 } },
            new { call = "chat.completions.create", body = new { model = Words, messages = new object[] { new { role = "user", content = "hi" }, new { role = "tool", content = "42" } } } },
            new { call = "completions.create", body = new { model = "lm.plain", prompt = "In", temperature = 0.5 } },
            new { call = "completions.create", body = new { model = Words, prompt = "In", top_p = 1.5 } },
            new { call = "chat.completions.create", body = new { model = Words, messages = Conversation(), presence_penalty = 0.7 } },
            new { call = "raw", method = "POST", path = "/v1/chat/completions", headers = json, body = "{\"model\": \"lm.words\", \"messages\": [" },
            new { call = "raw", method = "GET", path = "/v1/chat/completions" },
            new { call = "raw", method = "POST", path = "/v1/engines/lm.words/completions", headers = json, body = "{}" },
            new { call = "completions.create", body = new { model = Words, prompt = "In", frequency_penalty = 0, presence_penalty = 0, user = "someone", n = 1, max_tokens = 1 } });

        void IsBadRequest(JsonNode result, string param, string message)
        {
            var error = result.Failed();
            Assert.Equal(400, error["status"]!.GetValue<int>());
            Assert.Equal("BadRequestError", error["name"]!.Text());
            Assert.Equal("invalid_request_error", error["type"]!.Text());
            Assert.Equal(param, error["param"]!.Text());
            Assert.Contains(message, error["message"]!.Text());
        }

        IsBadRequest(results[0], "temperature", "Invalid type for 'temperature': expected a number, but got a string");
        IsBadRequest(results[1], "frobnicate", "Unrecognized request argument supplied: frobnicate");
        IsBadRequest(results[2], "n", "one choice per request (n = 1)");
        IsBadRequest(results[3], "messages[1].role", "Invalid value for 'messages[1].role': 'tool'");
        IsBadRequest(results[4], "temperature", "The model `lm.plain` does not take 'temperature': its endpoint is generate(prompt: string, max_tokens: int = 16) -> stream[string]");
        IsBadRequest(results[5], "top_p", "Invalid value for 'top_p': 1.5 is not within [0, 1]");
        IsBadRequest(results[6], "presence_penalty", "'presence_penalty' is not supported by this host");

        var badJson = results[7].Ok()["result"]!;
        Assert.Equal(400, badJson["status"]!.GetValue<int>());
        Assert.Contains("We could not parse the JSON body of your request", JsonNode.Parse(badJson["text"]!.Text())!["error"]!["message"]!.Text());
        var wrongMethod = results[8].Ok()["result"]!;
        Assert.Equal(405, wrongMethod["status"]!.GetValue<int>());
        Assert.Equal("POST", wrongMethod["allow"]!.Text());
        var wrongUrl = results[9].Ok()["result"]!;
        Assert.Equal(404, wrongUrl["status"]!.GetValue<int>());
        Assert.Contains("Invalid URL (POST /v1/engines/lm.words/completions)", wrongUrl["text"]!.Text());

        // Parameters OpenAI clients send at their defaults are taken: they ask for nothing.
        Assert.Equal(" the", results[10].Ok()["result"]!["choices"]![0]!["text"]!.Text());
    }

    [Fact]
    public async Task ModelFailures_BeforeTheStreamAreTheirOwnStatus_AfterItAnErrorEventAndNoDone()
    {
        var overflow = new string('x', 200);
        var breaking = new { model = Words, prompt = "break after 3", max_tokens = 10, stream = true };
        using var noErrors = fixture.Host.VerifyNoErrors();
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            new { call = "completions.create", body = new { model = Words, prompt = overflow, stream = true } },
            new { call = "completions.create", body = breaking },
            new { call = "raw", method = "POST", path = "/v1/completions", headers = new Dictionary<string, string> { ["content-type"] = "application/json" }, body = breaking });

        // The model refused before its first piece: the request is answered 400, not a stream.
        var refused = results[0].Failed();
        Assert.Equal(400, refused["status"]!.GetValue<int>());
        Assert.Contains("overflows the context of 128 tokens", refused["message"]!.Text());
        Assert.Equal("invalid_argument", refused["code"]!.Text());

        // It failed after three pieces: the client has them, then raises the error event.
        var broken = results[1];
        Assert.Equal(" In the beginning", string.Concat(broken["chunks"]!.AsArray().Select(c => c!["choices"]![0]!["text"]!.Text())));
        var error = broken.Failed();
        Assert.Contains("the model lost its context after 3 tokens", error["message"]!.Text());
        Assert.Equal("service_unavailable", error["type"]!.Text());

        var raw = results[2].Ok()["result"]!;
        Assert.Equal(200, raw["status"]!.GetValue<int>());
        var events = raw["text"]!.Text().Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, events.Length);
        Assert.StartsWith("data: {\"error\":", events[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", raw["text"]!.Text());
    }

    [Fact]
    public async Task SignedAndAllowModels_RefuseACallWithoutItsKey_AndTakeItWithTheKey_AsTheKeysCaller()
    {
        var chat = (string model, string? key) => new { call = "chat.completions.create", apiKey = key, body = new { model, messages = Conversation(), max_tokens = 2 } };
        var results = await OpenAiClientDriver.RunAsync(
            BaseUrl,
            chat("lm.signed", null),
            chat("lm.signed", OpenAiHostFixture.AliceKey),
            chat("lm.allow", OpenAiHostFixture.BobKey),
            chat("lm.allow", OpenAiHostFixture.AliceKey),
            new { call = "completions.create", apiKey = OpenAiHostFixture.BobKey, body = new { model = "lm.paid", prompt = "In" } });

        var anonymous = results[0].Failed();
        Assert.Equal(403, anonymous["status"]!.GetValue<int>());
        Assert.Equal("PermissionDeniedError", anonymous["name"]!.Text());
        Assert.Contains("lm.signed accepts only signed calls", anonymous["message"]!.Text());
        Assert.Contains("the bearer key sent is not one of this host's API keys (Modulus:Http:ApiKeys), so the call was unsigned", anonymous["message"]!.Text());

        Assert.Equal("2 messages;", results[1].Ok()["result"]!["choices"]![0]!["message"]!["content"]!.Text());

        var bob = results[2].Failed();
        Assert.Equal(403, bob["status"]!.GetValue<int>());
        Assert.Contains($"caller {fixture.Bob.Address} is not on lm.allow's allow list", bob["message"]!.Text());

        results[3].Ok();
        // The module saw the key's caller as a signed call's caller, checksummed.
        Assert.Equal(fixture.Alice.Address, (await fixture.StatsAsync("lm.allow"))["last"].AsMap()["caller"].AsString());

        var paid = results[4].Failed();
        Assert.Equal(403, paid["status"]!.GetValue<int>());
        Assert.Contains("lm.paid is paid (0.001 $GPT per call", paid["message"]!.Text());
        Assert.Contains("vouchers travel only with gRPC and TCP calls", paid["message"]!.Text());
    }

    [Fact]
    public async Task ClientThatLeavesMidStream_StopsTheModelsProducer()
    {
        var logged = fixture.Host.Logs.Entries.Count;
        var before = await fixture.StatsAsync(Words);

        var result = await OpenAiClientDriver.RunOneAsync(BaseUrl, new
        {
            call = "chat.completions.create",
            breakAfter = 4,
            body = new { model = Words, messages = Conversation("slowly, please"), max_tokens = 100_000, stream = true },
        });
        Assert.Equal(4, result.Ok()["chunks"]!.AsArray().Count);

        // The model's generation ends as cancelled, soon, and makes nothing more.
        var cancelled = before["cancelled"].AsInt() + 1;
        var after = await Eventually.WaitForAsync(() => fixture.StatsAsync(Words), s => s["cancelled"].AsInt() == cancelled, TimeSpan.FromSeconds(15));
        Assert.Equal(cancelled, after["cancelled"].AsInt());
        Assert.Equal(before["finished"].AsInt(), after["finished"].AsInt());
        await Task.Delay(300);
        var later = await fixture.StatsAsync(Words);
        Assert.Equal(after["produced"].AsInt(), later["produced"].AsInt());
        // At 20 ms a piece, a producer that went on until it was asked to stop would have made
        // thousands; this one made the few the client read and the few in flight.
        Assert.InRange(later["produced"].AsInt() - before["produced"].AsInt(), 3, 60);
        // A client leaving is no fault of the model's or the host's: nothing is logged as one.
        Assert.DoesNotContain(fixture.Host.Logs.Entries.Skip(logged), e => e.Level >= LogLevel.Warning);
    }

    private static void AssertUsage(JsonNode answer, int prompt, int completion)
    {
        var usage = answer["usage"]!;
        Assert.Equal(prompt, usage["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(completion, usage["completion_tokens"]!.GetValue<int>());
        Assert.Equal(prompt + completion, usage["total_tokens"]!.GetValue<int>());
    }
}
