using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// A refusal in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with its HTTP
/// status: what the OpenAI clients turn into their typed errors (BadRequestError, NotFoundError, …).
/// Thrown by the API's own checks; a <see cref="ModulusException"/> from a call becomes one through
/// <see cref="From"/>, the one place where Modulus status codes meet HTTP.
/// </summary>
internal sealed class OpenAiError(int status, string type, string message, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>OpenAI's error type: invalid_request_error, authentication_error, permission_error, …</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault, when there is one (<c>messages[1].role</c>).</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable code (model_not_found, unknown_parameter), or for a call's failure its Modulus status (<c>deadline_exceeded</c>).</summary>
    public string? Code { get; } = code;

    /// <summary>A request the API cannot take: bad JSON, a field of the wrong type or range, an unknown field.</summary>
    public static OpenAiError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", message, param, code);

    /// <summary>No such model here (or none of the kind the endpoint needs); the message lists those there are.</summary>
    public static OpenAiError ModelNotFound(string message) => Translate(StatusCode.NotFound, message, "model", "model_not_found");

    /// <summary>The translation of a call's failure; the message is the module's or the invoker's, cut to size.</summary>
    public static OpenAiError From(ModulusException ex) => Translate(ex.Code, ex.Message, null, ex.Code.ToWireName().ToLowerInvariant());

    /// <summary>The HTTP status and OpenAI error type of each Modulus status code, here and nowhere else.</summary>
    private static OpenAiError Translate(StatusCode code, string message, string? param, string? errorCode)
    {
        var (status, type) = code switch
        {
            StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.FailedPrecondition => (StatusCodes.Status400BadRequest, "invalid_request_error"),
            StatusCode.Unauthenticated => (StatusCodes.Status401Unauthorized, "authentication_error"),
            StatusCode.PermissionDenied => (StatusCodes.Status403Forbidden, "permission_error"),
            StatusCode.NotFound => (StatusCodes.Status404NotFound, "invalid_request_error"),
            StatusCode.AlreadyExists or StatusCode.Aborted => (StatusCodes.Status409Conflict, "conflict_error"),
            StatusCode.ResourceExhausted => (StatusCodes.Status429TooManyRequests, "rate_limit_error"),
            // The client left; nobody reads this, but the log and a proxy see a status that says so.
            StatusCode.Cancelled => (StatusCodes.Status499ClientClosedRequest, "cancelled"),
            StatusCode.Unimplemented => (StatusCodes.Status501NotImplemented, "invalid_request_error"),
            StatusCode.Unavailable => (StatusCodes.Status503ServiceUnavailable, "service_unavailable"),
            StatusCode.DeadlineExceeded => (StatusCodes.Status504GatewayTimeout, "timeout_error"),
            _ => (StatusCodes.Status500InternalServerError, "server_error"),
        };
        return new OpenAiError(status, type, Protocol.CallMapper.BoundMessage(message), param, errorCode);
    }

    /// <summary>The same error with more said after its message (a hint the API alone can give).</summary>
    public OpenAiError WithHint(string hint) => new(Status, Type, $"{Message}; {hint}", Param, Code);

    /// <summary>Writes <c>{"error": {…}}</c>.</summary>
    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        json.WriteString("param", Param);
        json.WriteString("code", Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Answers the request with this error, as a JSON body with its status.</summary>
    public Task WriteAsync(HttpResponse response, CancellationToken cancellationToken) =>
        JsonAnswer.WriteAsync(response, Status, Write, cancellationToken);
}
