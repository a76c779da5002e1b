using Microsoft.Extensions.AI;
using Modulus.Client;
using Modulus.Client.AI;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary>
/// A Modulus-hosted model through Microsoft.Extensions.AI, as a .NET application would use it: the
/// chat client's answers, streamed or not, are the model's own chat stream over gRPC and TCP, its
/// options reach the model, and the embedding generator gives the model's embed vectors.
/// </summary>
public sealed class ExtensionsAiTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.CopyAs(OpenAiHostFixture.WordsModelFolder, "lm/words", "lm.words");
        _host = await TestHost.StartAsync(_tree);
        Assert.Empty(_host.Server.Catalog.Faults);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    private ModulusClient Connect(string scheme) => ModulusClient.Connect(_host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)));

    [Theory]
    [InlineData("grpc")]
    [InlineData("tcp")]
    public async Task ChatClient_AnswersAsTheModelsChatStreamDoes_StreamedOrNot(string scheme)
    {
        await using var client = Connect(scheme);
        IChatClient chat = new ModulusChatClient(client, "lm.words");
        ChatMessage[] messages = [new(ChatRole.System, "be brief"), new(ChatRole.User, "In the beginning")];

        // What the module itself streams for the same conversation.
        var expected = new List<string>();
        var conversation = Value.List(messages.Select(m => Value.Map(new Dictionary<string, Value> { ["role"] = m.Role.Value, ["content"] = m.Text })));
        await foreach (var piece in client.StreamAsync("lm.words/chat", [], new Dictionary<string, Value> { ["messages"] = conversation, ["max_tokens"] = 5 }))
        {
            expected.Add(piece.AsString());
        }

        Assert.Equal(5, expected.Count);
        var options = new ChatOptions { MaxOutputTokens = 5, Temperature = 0.5f, Seed = 3 };
        var response = await chat.GetResponseAsync(messages, options);
        Assert.Equal(string.Concat(expected), response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(5, response.Usage!.OutputTokenCount);

        var updates = new List<string>();
        await foreach (var update in chat.GetStreamingResponseAsync(messages, options))
        {
            updates.Add(update.Text);
        }

        Assert.Equal(expected, updates);

        // The options reached the model as its keyword arguments.
        var last = (await client.CallAsync("lm.words/stats")).AsMap()["last"].AsMap();
        Assert.Equal(0.5, last["temperature"].AsFloat(), 3);
        Assert.Equal(3, last["seed"].AsInt());
        Assert.Equal(5, last["max_tokens"].AsInt());
    }

    [Fact]
    public async Task ChatClient_ModelErrorsAreModulusExceptions()
    {
        await using var client = Connect("tcp");
        IChatClient chat = new ModulusChatClient(client, "lm.missing");
        var ex = await Assert.ThrowsAsync<ModulusException>(() => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        Assert.Equal(StatusCode.NotFound, ex.Code);
    }

    [Fact]
    public async Task EmbeddingGenerator_GivesTheModelsEmbedVectors()
    {
        await using var client = Connect("grpc");
        IEmbeddingGenerator<string, Embedding<float>> generator = new ModulusEmbeddingGenerator(client, "lm.words");
        var embeddings = await generator.GenerateAsync(["In the beginning", "God"]);
        Assert.Equal(2, embeddings.Count);
        for (var i = 0; i < 2; i++)
        {
            var direct = (await client.CallAsync("lm.words/embed", i == 0 ? "In the beginning" : "God")).AsList().Select(v => (float)v.AsFloat());
            Assert.Equal(direct, embeddings[i].Vector.ToArray());
        }
    }
}
