using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// An HTTP/1.1 JSON API through one <see cref="HttpClient"/> (a pooled connection per call in flight):
/// the FastAPI/uvicorn peer, or the bare Kestrel floor that shows what this client can drive.
/// </summary>
internal sealed class HttpPeerCaller : ICaller
{
    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");
    private readonly HttpClient _http;
    private readonly bool _echoOnly;

    public HttpPeerCaller(string name, ServerProcess server, int port, bool echoOnly)
    {
        Name = name;
        Server = server;
        _echoOnly = echoOnly;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public string Name { get; }

    public ServerProcess Server { get; }

    public bool Serves(Workload work) => !_echoOnly || (work.Kind == WorkKind.Echo && !work.Python);

    public async ValueTask CallAsync(Workload work, CancellationToken cancellationToken)
    {
        if (work.Kind == WorkKind.Echo)
        {
            using var response = await _http.PostAsJsonAsync("/echo", new TextBody(work.Text), cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var reply = await response.Content.ReadFromJsonAsync<TextBody>(cancellationToken).ConfigureAwait(false);
            work.Check(Name, reply?.Text, null);
        }
        else
        {
            using var content = new ByteArrayContent(work.TensorBytes);
            content.Headers.ContentType = OctetStream;
            using var response = await _http.PostAsync("/sum", content, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var reply = await response.Content.ReadFromJsonAsync<NumberBody>(cancellationToken).ConfigureAwait(false);
            work.Check(Name, null, reply?.Value);
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    internal sealed record TextBody([property: JsonPropertyName("text")] string Text);

    internal sealed record NumberBody([property: JsonPropertyName("value")] double Value);
}
