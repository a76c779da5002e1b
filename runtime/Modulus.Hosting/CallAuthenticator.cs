using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Signing;
using Modulus.Protocol.V1;
using Modulus.Sdk;

namespace Modulus.Hosting;

/// <summary>
/// Verifies signed requests: the timestamp must be within the clock-skew window of the host's clock,
/// the signature must recover the address the request claims, and a nonce is accepted once per
/// signer within twice the window (after which its timestamp is stale anyway).
/// </summary>
internal sealed class CallAuthenticator(IOptions<ModulusServerOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _seenNonces = new(StringComparer.Ordinal);
    private long _nextSweep;

    /// <summary>Whether the request carries a signature at all.</summary>
    public static bool IsSigned(CallRequest request) =>
        request.Auth is { } auth && (auth.Signature.Length > 0 || auth.Address.Length > 0);

    /// <summary>The verified signer's address.</summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED, saying what was wrong.</exception>
    public string Verify(CallRequest request)
    {
        var auth = request.Auth;
        var window = options.Value.ClockSkew;
        if (auth.Nonce.Length is < 8 or > 64)
        {
            throw Unauthenticated($"the nonce is {auth.Nonce.Length} bytes; it must be 8 to 64 random bytes");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var age = now - auth.TimestampMs;
        if (Math.Abs(age) > window.TotalMilliseconds)
        {
            throw Unauthenticated(
                $"the signature's timestamp is {Math.Abs(age) / 1000.0:0.#} s {(age > 0 ? "old" : "in the future")}; this host accepts ±{window.TotalSeconds:0} s (check the caller's clock, and sign each call afresh)");
        }

        var signer = CallSignature.Recover(request);
        if (auth.Address.Length > 0 && !string.Equals(auth.Address, signer, StringComparison.OrdinalIgnoreCase))
        {
            throw Unauthenticated($"the request claims to come from {auth.Address} but is signed by {signer}");
        }

        Sweep(now);
        var key = $"{signer.ToLowerInvariant()}:{Convert.ToHexString(auth.Nonce.Span)}";
        if (!_seenNonces.TryAdd(key, now + (long)(2 * window.TotalMilliseconds)))
        {
            throw Unauthenticated($"replayed request: {signer} already used this nonce; sign each call with a fresh nonce");
        }

        return signer;
    }

    private void Sweep(long now)
    {
        var next = Volatile.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + 1000, next) != next)
        {
            return;
        }

        foreach (var (key, expires) in _seenNonces)
        {
            if (expires < now)
            {
                _seenNonces.TryRemove(key, out _);
            }
        }
    }

    private static ModulusException Unauthenticated(string message) => new(StatusCode.Unauthenticated, message);
}
