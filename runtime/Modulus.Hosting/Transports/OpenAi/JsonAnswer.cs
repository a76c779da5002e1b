using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>Answers a request with one JSON body, written straight into the response (no intermediate string).</summary>
internal static class JsonAnswer
{
    public static async Task WriteAsync(HttpResponse response, int status, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            write(json);
        }

        await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
