using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.Benchmarks.Peers;

/// <summary>A way of running one greedy generation of text.generate and timing it: the floor in this process, or a host over some transport.</summary>
internal interface IGenerationStream : IAsyncDisposable
{
    string Name { get; }

    Task<GeneratedStream> GenerateAsync(string prompt, int maxTokens, CancellationToken cancellationToken);
}

/// <summary>The floor: LLamaSharp in this process.</summary>
internal sealed class FloorGenerationStream(GenerationFloor floor) : IGenerationStream
{
    public string Name => "floor: LLamaSharp in-process";

    public Task<GeneratedStream> GenerateAsync(string prompt, int maxTokens, CancellationToken cancellationToken) => floor.GenerateAsync(prompt, maxTokens, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>text.generate/generate through <see cref="ModulusClient.StreamAsync(string, IReadOnlyList{Value}?, IReadOnlyDictionary{string, Value}?, ModulusCallOptions?, CancellationToken)"/>, over gRPC or TCP; one client shared by every stream in flight.</summary>
internal sealed class ModulusGenerationStream(string name, string address, string module) : IGenerationStream
{
    private readonly ModulusClient _client = ModulusClient.Connect(address);

    public string Name => name;

    public async Task<GeneratedStream> GenerateAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var kwargs = new Dictionary<string, Value> { ["max_tokens"] = Value.From((long)maxTokens), ["temperature"] = Value.From(0.0) };
        var text = new StringBuilder();
        var started = Stopwatch.GetTimestamp();
        var first = double.NaN;
        var items = 0;
        await foreach (var item in _client.StreamAsync($"{module}/generate", [Value.From(prompt)], kwargs, null, cancellationToken).ConfigureAwait(false))
        {
            if (items++ == 0)
            {
                first = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }

            text.Append(item.AsString());
        }

        // Tokens are counted by the caller from the floor's run of the same prompt (greedy: the same text).
        return new GeneratedStream(text.ToString(), items, first, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
    }

    /// <summary>p50 in µs of a unary call to the same module (tokenize the prompt): the host-to-worker round trip with no generation, to set the time to first token against.</summary>
    public async Task<double> TokenizeP50Async(string prompt, int calls, CancellationToken cancellationToken)
    {
        var samples = new List<double>(calls);
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await _client.CallAsync($"{module}/tokenize", [Value.From(prompt)], null, null, cancellationToken).ConfigureAwait(false);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return Measurements.Percentile(samples, 0.5);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}

/// <summary>POST /v1/completions with <c>"stream": true</c> on the host's OpenAI-compatible API, the server-sent events read line by line.</summary>
internal sealed class OpenAiGenerationStream(string baseAddress, string model) : IGenerationStream
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = new Uri(baseAddress.TrimEnd('/') + "/") };

    public string Name => "Modulus HTTP (OpenAI /v1/completions, SSE)";

    public async Task<GeneratedStream> GenerateAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = model, ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0, ["stream"] = true });
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /v1/completions: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), Encoding.UTF8);
        var text = new StringBuilder();
        var first = double.NaN;
        var pieces = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line == "data: [DONE]")
            {
                break;
            }

            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            var choices = chunk.RootElement.GetProperty("choices");
            if (choices.GetArrayLength() == 0 || choices[0].GetProperty("text").GetString() is not { Length: > 0 } piece)
            {
                continue; // the finish chunk (empty text) or usage
            }

            if (pieces++ == 0)
            {
                first = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }

            text.Append(piece);
        }

        return new GeneratedStream(text.ToString(), pieces, first, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
