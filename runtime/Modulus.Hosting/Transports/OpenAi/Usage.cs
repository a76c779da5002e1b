using System.Text.Json;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// The token counts of an answer: the prompt by the model's <c>tokenize</c> endpoint, the completion
/// by the pieces the model streamed (one per token).
/// </summary>
internal readonly record struct Usage(long PromptTokens, long? CompletionTokens)
{
    /// <summary>Writes <c>"usage": {"prompt_tokens", "completion_tokens", "total_tokens"}</c>; an embedding's has no completion.</summary>
    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", PromptTokens);
        if (CompletionTokens is { } completion)
        {
            json.WriteNumber("completion_tokens", completion);
        }

        json.WriteNumber("total_tokens", PromptTokens + (CompletionTokens ?? 0));
        json.WriteEndObject();
    }
}
