using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Nethereum.Util;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>Who an HTTP request calls as: the caller its bearer key stands for, or nobody (an unsigned call).</summary>
/// <param name="Caller">The caller address, checksummed as a verified signature's signer is; null for an unsigned call.</param>
/// <param name="UnknownKey">The request carried a bearer key that is not one of <c>Modulus:Http:ApiKeys</c>.</param>
internal readonly record struct HttpCaller(string? Caller, bool UnknownKey);

/// <summary>
/// Maps bearer keys (<c>Modulus:Http:ApiKeys</c>) to caller addresses. The host stands in for a
/// signature here: it vouches that whoever holds the key is the address, so the invoker's access
/// and rate steps treat the call as signed by it. A key that is not configured is not refused here:
/// every OpenAI client sends some key, and an open module must stay open to clients that have
/// none of this host's; a module that wants a caller refuses the unsigned call itself.
/// </summary>
internal sealed class ApiKeyCallers
{
    private readonly Dictionary<string, string> _callerByKeyHash;

    public ApiKeyCallers(IOptions<ModulusServerOptions> options)
    {
        // Keyed by the key's SHA-256, so that looking a key up takes no time that depends on how
        // much of it matches a configured one.
        _callerByKeyHash = options.Value.Http.ApiKeys.ToDictionary(k => Hash(k.Key), k => AddressUtil.Current.ConvertToChecksumAddress(k.Caller), StringComparer.Ordinal);
    }

    /// <summary>True for 0x and 40 hex digits.</summary>
    public static bool IsAddress(string? text) =>
        text is { Length: 42 } && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && !text.AsSpan(2).ContainsAnyExcept(HexDigits);

    /// <summary>The caller of a request, from its <c>Authorization: Bearer KEY</c> header.</summary>
    public HttpCaller Resolve(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
        {
            return new HttpCaller(null, false);
        }

        var key = header[scheme.Length..].Trim();
        return _callerByKeyHash.TryGetValue(Hash(key), out var caller) ? new HttpCaller(caller, false) : new HttpCaller(null, key.Length > 0);
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
