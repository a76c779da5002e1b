using Microsoft.Extensions.AI;
using Modulus.Sdk;

namespace Modulus.Client.AI;

/// <summary>Microsoft.Extensions.AI's options as the keyword arguments of a model module's endpoints (the gguf contract).</summary>
internal static class ModelOptions
{
    public static Dictionary<string, Value> ToKeywords(ChatOptions? options)
    {
        var keywords = new Dictionary<string, Value>(StringComparer.Ordinal);
        if (options is null)
        {
            return keywords;
        }

        if (options.MaxOutputTokens is { } max)
        {
            keywords["max_tokens"] = max;
        }

        if (options.Temperature is { } temperature)
        {
            keywords["temperature"] = (double)temperature;
        }

        if (options.TopP is { } topP)
        {
            keywords["top_p"] = (double)topP;
        }

        if (options.TopK is { } topK)
        {
            keywords["top_k"] = topK;
        }

        if (options.Seed is { } seed)
        {
            keywords["seed"] = seed;
        }

        if (options.StopSequences is { Count: > 0 } stop)
        {
            keywords["stop"] = Value.List(stop.Select(s => Value.From(s)));
        }

        return keywords;
    }
}
