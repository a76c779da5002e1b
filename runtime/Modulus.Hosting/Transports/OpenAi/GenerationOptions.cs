using System.Globalization;
using System.Text.Json;
using Modulus.Sdk;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// The sampling and answer options of a completion or chat completion request, and how they map onto
/// the model's endpoint: each given option becomes the keyword argument of the same name
/// (<c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>top_k</c>, <c>seed</c>, <c>stop</c>); an
/// option left out is left to the model's own default.
/// </summary>
internal sealed record GenerationOptions(
    long? MaxTokens,
    double? Temperature,
    double? TopP,
    long? TopK,
    long? Seed,
    IReadOnlyList<string>? Stop,
    bool Stream,
    bool IncludeUsage)
{
    /// <summary>The most stop sequences one request may give.</summary>
    public const int MaxStops = 16;

    /// <summary>Reads the options shared by both routes; <paramref name="maxTokensNames"/> are the fields that may carry the length, first wins.</summary>
    /// <exception cref="OpenAiError">400 naming the field at fault.</exception>
    public static GenerationOptions Read(RequestFields fields, params string[] maxTokensNames)
    {
        long? maxTokens = null;
        foreach (var name in maxTokensNames)
        {
            maxTokens ??= fields.Integer(name, min: 1);
        }

        var n = fields.Integer("n");
        if (n is not null and not 1)
        {
            throw OpenAiError.InvalidRequest($"Invalid value for 'n': {n}. This host makes one choice per request (n = 1); send {n} requests for {n} choices.", "n", "invalid_value");
        }

        var stream = fields.Boolean("stream") ?? false;
        var includeUsage = false;
        if (fields.Object("stream_options") is { } streamOptions)
        {
            if (!stream)
            {
                throw OpenAiError.InvalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", "invalid_value");
            }

            includeUsage = streamOptions.Boolean("include_usage") ?? false;
            streamOptions.RefuseUnread();
        }

        // OpenAI's penalties and biases, which the models' sampling does not have: accepted only when they ask for nothing.
        static bool Zero(JsonElement v) => v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0;
        fields.Unsupported("frequency_penalty", Zero, "its models' sampling has no frequency penalty (send 0 or leave it out)");
        fields.Unsupported("presence_penalty", Zero, "its models' sampling has no presence penalty (send 0 or leave it out)");
        fields.Unsupported("logit_bias", v => v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any(), "its models' sampling takes no logit bias");

        return new GenerationOptions(
            maxTokens,
            fields.Number("temperature", 0, 2),
            fields.Number("top_p", 0, 1),
            fields.Integer("top_k", min: 0),
            fields.Integer("seed"),
            ReadStop(fields),
            stream,
            includeUsage);
    }

    /// <summary>The keyword arguments for <paramref name="endpoint"/>, besides its input.</summary>
    /// <exception cref="OpenAiError">400 when an option was given that the endpoint does not take.</exception>
    public Dictionary<string, Value> Keywords(Model model, EndpointSchema endpoint)
    {
        var keywords = new Dictionary<string, Value>(StringComparer.Ordinal);
        void Add(string name, Value? value)
        {
            if (value is null)
            {
                return;
            }

            if (!endpoint.Parameters.Any(p => p.Name == name))
            {
                throw OpenAiError.InvalidRequest($"The model `{model.Id}` does not take '{name}': its endpoint is {endpoint.Signature}.", name, "unsupported_parameter");
            }

            keywords[name] = value;
        }

        Add("max_tokens", MaxTokens is { } maxTokens ? Value.From(maxTokens) : null);
        Add("temperature", Temperature is { } temperature ? Value.From(temperature) : null);
        Add("top_p", TopP is { } topP ? Value.From(topP) : null);
        Add("top_k", TopK is { } topK ? Value.From(topK) : null);
        Add("seed", Seed is { } seed ? Value.From(seed) : null);
        Add("stop", Stop is { } stop ? Value.List(stop.Select(s => Value.From(s))) : null);
        return keywords;
    }

    /// <summary>
    /// The length the model stops at: the request's <c>max_tokens</c>, else the endpoint's default
    /// for it; null when neither is known (then no answer can be said to have been cut by length).
    /// </summary>
    public long? EffectiveMaxTokens(EndpointSchema endpoint) =>
        MaxTokens ?? (endpoint.Parameters.FirstOrDefault(p => p.Name == "max_tokens")?.Default is { } text
            && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var fallback) ? fallback : null);

    private static string[]? ReadStop(RequestFields fields)
    {
        if (fields.Element("stop") is not { } stop)
        {
            return null;
        }

        string[] stops;
        if (stop.ValueKind == JsonValueKind.String)
        {
            stops = [stop.GetString()!];
        }
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            stops = stop.EnumerateArray().Select((s, i) => s.ValueKind == JsonValueKind.String ? s.GetString()! : throw RequestFields.WrongType($"stop[{i}]", "a string", s)).ToArray();
        }
        else
        {
            throw RequestFields.WrongType("stop", "a string or an array of strings", stop);
        }

        if (stops.Length > MaxStops)
        {
            throw OpenAiError.InvalidRequest($"Invalid value for 'stop': {stops.Length} sequences; this host takes at most {MaxStops}.", "stop", "invalid_value");
        }

        var empty = Array.FindIndex(stops, s => s.Length == 0);
        return empty < 0 ? stops : throw OpenAiError.InvalidRequest("Invalid value for 'stop': a stop sequence must not be empty.", stop.ValueKind == JsonValueKind.Array ? $"stop[{empty}]" : "stop", "invalid_value");
    }
}
