using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Modulus.Sdk;

namespace Modulus.Client.AI;

/// <summary>
/// A language model module (one with a streaming <c>chat</c> endpoint, such as a gguf module) as an
/// <see cref="IChatClient"/>, so that an application written against Microsoft.Extensions.AI uses a
/// Modulus-hosted model like any other. Messages become the endpoint's <c>messages</c> (role and
/// text); <see cref="ChatOptions"/> map to its keyword arguments (<c>max_tokens</c>,
/// <c>temperature</c>, <c>top_p</c>, <c>top_k</c>, <c>seed</c>, <c>stop</c>). The client is not owned:
/// disposing this leaves it open.
/// </summary>
public sealed class ModulusChatClient : IChatClient
{
    private readonly ModulusClient _client;
    private readonly string _module;
    private readonly ChatClientMetadata _metadata;

    /// <summary>A chat client for <paramref name="module"/> on the host <paramref name="client"/> calls.</summary>
    /// <param name="client">The host's client (signed or paying as it was made).</param>
    /// <param name="module">The model's module name, e.g. <c>text.generate</c>; also the default <see cref="ChatOptions.ModelId"/>.</param>
    public ModulusChatClient(ModulusClient client, string module)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(module);
        _client = client;
        _module = module;
        _metadata = new ChatClientMetadata("modulus", new Uri(client.Address.ToString()), module);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        var pieces = 0;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            pieces++;
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = options?.ModelId ?? _module,
            FinishReason = Finish(options, pieces),
            Usage = new UsageDetails { OutputTokenCount = pieces },
        };
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = messages.Select(m => Value.Map(new Dictionary<string, Value>(StringComparer.Ordinal)
        {
            ["role"] = m.Role.Value,
            ["content"] = m.Text,
        })).ToList();
        return StreamAsync(conversation, options, cancellationToken);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(List<Value> conversation, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var module = options?.ModelId ?? _module;
        var arguments = ModelOptions.ToKeywords(options);
        arguments["messages"] = Value.List(conversation);
        var id = Guid.NewGuid().ToString("N");
        await foreach (var piece in _client.StreamAsync($"{module}/chat", [], arguments, null, cancellationToken).ConfigureAwait(false))
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece.Kind == ValueKind.String ? piece.AsString() : ValueJson.Serialize(piece))
            {
                ModelId = module,
                ResponseId = id,
            };
        }
    }

    /// <summary>Length when the reply used all the tokens it was allowed (one piece per token, as the gguf kind streams), else stop.</summary>
    private static ChatFinishReason Finish(ChatOptions? options, int pieces) =>
        options?.MaxOutputTokens is { } max && pieces >= max ? ChatFinishReason.Length : ChatFinishReason.Stop;

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(ModulusClient) ? _client
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
        // The ModulusClient belongs to the caller.
    }
}
