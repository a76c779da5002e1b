using Microsoft.AspNetCore.Http;
using Modulus.Protocol;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// One HTTP request as the invoker sees each call it makes: who calls (its bearer key's caller),
/// from where, until when, and the token that fires when the client goes away. Every model call of
/// the request (generate, tokenize, embed) carries the same caller and deadline.
/// </summary>
internal sealed record HttpCall(HttpCaller Caller, string? Peer, DateTimeOffset Deadline, int RequestBytes, CancellationToken Aborted)
{
    /// <summary>The call as of now: the caller of the key, the deadline of <c>Modulus:Http:Timeout</c>.</summary>
    public static HttpCall Of(HttpContext context, HttpCaller caller, TimeSpan timeout, TimeProvider time)
    {
        var remote = context.Connection.RemoteIpAddress;
        var peer = remote is { IsIPv4MappedToIPv6: true } ? remote.MapToIPv4() : remote;
        var length = context.Request.ContentLength is { } bytes ? (int)Math.Min(bytes, int.MaxValue) : 0;
        return new HttpCall(caller, peer?.ToString(), time.GetUtcNow() + timeout, length, context.RequestAborted);
    }

    /// <summary>A call of <paramref name="endpoint"/> on <paramref name="module"/> with keyword arguments.</summary>
    public ModuleCall To(string module, string endpoint, IReadOnlyDictionary<string, Value> keywords) =>
        new(module, endpoint, [], keywords)
        {
            Caller = Caller.Caller,
            Peer = Peer,
            Deadline = Deadline,
            RequestBytes = RequestBytes,
        };

    /// <summary>
    /// A call's failure as the client is answered: translated once (<see cref="OpenAiError.From"/>),
    /// and, when an access rule refused a request whose key this host does not know, saying so.
    /// </summary>
    public OpenAiError ErrorOf(ModulusException ex)
    {
        var error = OpenAiError.From(ex);
        return Caller.UnknownKey && ex.Code == StatusCode.PermissionDenied
            ? error.WithHint("the bearer key sent is not one of this host's API keys (Modulus:Http:ApiKeys), so the call was unsigned")
            : error;
    }
}
