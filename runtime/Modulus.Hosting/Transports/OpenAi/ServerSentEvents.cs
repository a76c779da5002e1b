using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// A streamed answer as server-sent events, as OpenAI streams: <c>data: {json}\n\n</c> per event,
/// each flushed at once (a client sees a piece when the model makes it), ending in
/// <c>data: [DONE]\n\n</c>. The response starts (status 200 and headers) with the first event, so
/// that a call refused before it has produced anything is still answered with its own status.
/// </summary>
internal sealed class ServerSentEvents(HttpContext context)
{
    private readonly HttpResponse _response = context.Response;
    private static readonly byte[] Data = "data: "u8.ToArray();
    private static readonly byte[] End = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private Utf8JsonWriter? _json;

    /// <summary>Whether the first event went out, and with it the status: a failure now can only be an event.</summary>
    public bool Started => _response.HasStarted;

    /// <summary>Writes one event whose data is the JSON <paramref name="write"/> writes, and flushes it.</summary>
    /// <exception cref="OperationCanceledException">The client went away.</exception>
    public async ValueTask WriteAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        Start();
        var body = _response.BodyWriter;
        body.Write(Data);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(body);
        }
        else
        {
            _json.Reset(body);
        }

        write(_json);
        _json.Flush();
        body.Write(End);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <c>data: [DONE]</c>, the end of a stream that did not fail.</summary>
    public async ValueTask WriteDoneAsync(CancellationToken cancellationToken)
    {
        Start();
        _response.BodyWriter.Write(Done);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Start()
    {
        if (_response.HasStarted)
        {
            return;
        }

        _response.StatusCode = StatusCodes.Status200OK;
        _response.ContentType = "text/event-stream; charset=utf-8";
        _response.Headers.CacheControl = "no-cache";
        // Proxies that buffer (nginx) would hold the pieces back until the end.
        _response.Headers["X-Accel-Buffering"] = "no";
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = await _response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flushed.IsCompleted || flushed.IsCanceled)
        {
            // Kestrel stopped sending: the connection is gone. Aborting makes RequestAborted, the
            // call's token, fire (if it has not yet), so the model stops as for any client that left.
            context.Abort();
            throw new OperationCanceledException("the client closed the connection", context.RequestAborted);
        }
    }
}
