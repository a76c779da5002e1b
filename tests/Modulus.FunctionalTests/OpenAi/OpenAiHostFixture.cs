using Modulus.Client;
using Modulus.Protocol.Signing;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary>
/// A real host serving test models over its OpenAI-compatible API: <c>lm.words</c> (tests/
/// Modulus.FunctionalTests/OpenAi/WordsModel, on the gguf kind's model contract) as it is, signed-only,
/// allow-listed and paid; <c>lm.plain</c>, a model with nothing but <c>generate</c>; and util.echo,
/// which is no model. Alice's and Bob's API keys stand for their addresses; only Alice is on the
/// allow list.
/// </summary>
public sealed class OpenAiHostFixture : IAsyncLifetime
{
    public const string AliceKey = "sk-test-alice-4f1b";
    public const string BobKey = "sk-test-bob-9c2e";

    /// <summary>A model with generate alone: no chat, embed or tokenize.</summary>
    private const string Plain = """
        using System.Runtime.CompilerServices;

        public sealed class Plain : Module
        {
            [Endpoint]
            public async IAsyncEnumerable<string> Generate(string prompt, long max_tokens = 16, [EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                for (var i = 0; i < max_tokens && i < 3; i++)
                {
                    await Task.Yield();
                    yield return $" plain{i}";
                }
            }
        }
        """;

    private readonly TempTree _tree = new();

    public CallSigner Alice { get; } = CallSigner.Generate();

    public CallSigner Bob { get; } = CallSigner.Generate();

    internal TestHost Host { get; private set; } = null!;

    /// <summary>What to give an OpenAI client: http://127.0.0.1:PORT/v1.</summary>
    public string BaseUrl => Host.Server.HttpAddress + "/v1";

    public static string WordsModelFolder => Path.Combine(RepositoryPaths.Root, "tests", "Modulus.FunctionalTests", "OpenAi", "WordsModel");

    public async Task InitializeAsync()
    {
        _tree.CopyAs(WordsModelFolder, "lm/words", "lm.words");
        _tree.CopyAs(WordsModelFolder, "lm/signed", "lm.signed", m => m["access"] = new System.Text.Json.Nodes.JsonObject { ["mode"] = "signed" });
        _tree.CopyAs(WordsModelFolder, "lm/allow", "lm.allow", m => m["access"] = System.Text.Json.Nodes.JsonNode.Parse($$"""{ "mode": "allow", "allow": ["{{Alice.Address}}"] }"""));
        _tree.CopyAs(WordsModelFolder, "lm/paid", "lm.paid", m => m["access"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "mode": "paid", "price": "0.001" }"""));
        _tree.AddCSharp("lm/plain", Plain);
        _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, "util", "echo"), "util/echo");
        Host = await TestHost.StartAsync(_tree, configure: o =>
        {
            o.Http.ApiKeys.Add(new() { Key = AliceKey, Caller = Alice.Address.ToLowerInvariant() });
            o.Http.ApiKeys.Add(new() { Key = BobKey, Caller = Bob.Address });
        });
        Assert.Empty(Host.Server.Catalog.Faults);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _tree.Dispose();
    }

    /// <summary>What a model has made so far (its <c>stats</c> endpoint, over gRPC), signed by Alice for the guarded copies.</summary>
    public async Task<IReadOnlyDictionary<string, Value>> StatsAsync(string model)
    {
        await using var client = ModulusClient.Connect(Host.Address, new ModulusClientOptions { Signer = Alice });
        return (await client.CallAsync(model + "/stats")).AsMap();
    }
}
