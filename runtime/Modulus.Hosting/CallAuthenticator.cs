using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Signing;
using Modulus.Protocol.V1;
using Modulus.Sdk;

namespace Modulus.Hosting;

/// <summary>
/// Verifies signed requests (digest domain <c>modulus.v2.call</c>): the timestamp must be within the
/// clock-skew window of the host's clock; the host and chain the caller signed for must be this host's;
/// the arguments must hash as signed; the signature must be canonical and recover the address the
/// request claims; and a nonce is accepted once per signer within twice the window (after which its
/// timestamp is stale anyway). The fields the caller repeats in clear (host, chain, payload hash) only
/// choose the error message: the signature is always checked against this host's own values.
/// </summary>
internal sealed class CallAuthenticator(IOptions<ModulusServerOptions> options, TimeProvider time, HostKey hostKey)
{
    private readonly ConcurrentDictionary<string, long> _seenNonces = new(StringComparer.Ordinal);
    private long _nextSweep;

    /// <summary>Whether the request carries a signature at all.</summary>
    public static bool IsSigned(CallRequest request) =>
        request.Auth is { } auth && (auth.Signature.Length > 0 || auth.Address.Length > 0);

    /// <summary>This host's identity, as signed calls must name it.</summary>
    public HostIdentity Identity => hostKey.Identity;

    /// <summary>The handshake answer to a caller's challenge.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT when the challenge is not 16 to 64 bytes.</exception>
    public HostInfo Handshake(HostInfoRequest request) => request.Challenge.Length is < 16 or > 64
        ? throw new ModulusException(StatusCode.InvalidArgument, $"the handshake challenge is {request.Challenge.Length} bytes; send 16 to 64 random bytes (32 is usual)")
        : hostKey.Answer(request.Challenge.Span);

    /// <summary>The verified signer's address.</summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED, saying what was wrong.</exception>
    public string Verify(CallRequest request)
    {
        var auth = request.Auth;
        var host = hostKey.Identity;
        if (auth.Address.Length == 0)
        {
            throw Unauthenticated("the signed request does not say which address signed it (auth.address)");
        }

        if (auth.Signature.Length == 0)
        {
            throw Unauthenticated($"the request claims to come from {auth.Address} but carries no signature");
        }

        if (auth.Nonce.Length is < 8 or > 64)
        {
            throw Unauthenticated($"the nonce is {auth.Nonce.Length} bytes; it must be 8 to 64 random bytes");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var window = (long)options.Value.ClockSkew.TotalMilliseconds;
        // Compared as bounds, never as |now - timestamp|: a timestamp near long.MinValue would overflow it.
        if (auth.TimestampMs < now - window || auth.TimestampMs > now + window)
        {
            var age = (Int128)now - auth.TimestampMs;
            var distance = Int128.Abs(age);
            var how = distance > (Int128)TimeSpan.FromDays(365).TotalMilliseconds
                ? $"{auth.TimestampMs} ms since 1970 is not a time near this host's clock ({now})"
                : $"the signature's timestamp is {(double)distance / 1000.0:0.#} s {(age > 0 ? "old" : "in the future")}";
            throw Unauthenticated($"timestamp out of range: {how}; this host accepts ±{options.Value.ClockSkew.TotalSeconds:0} s (check the caller's clock, and sign each call afresh)");
        }

        if (auth.Host.Length == 0)
        {
            throw Unauthenticated($"the signature names no host; this host accepts {CallSignature.Domain} signatures, which name the host ({host.Address}) and chain ({host.ChainId}): update the caller");
        }

        if (!string.Equals(auth.Host, host.Address, StringComparison.OrdinalIgnoreCase))
        {
            throw Unauthenticated($"signed for host {auth.Host}, this host is {host.Address}; a signed call is good at the host it names only (sign again for this host)");
        }

        if (auth.ChainId != host.ChainId)
        {
            throw Unauthenticated($"signed for chain {auth.ChainId}, this host is on {host.ChainId}");
        }

        var payloadHash = CallSignature.PayloadHash(request);
        if (auth.PayloadHash.Length > 0 && !auth.PayloadHash.Span.SequenceEqual(payloadHash))
        {
            throw Unauthenticated(
                $"the arguments differ from the ones signed (payload hash signed 0x{Convert.ToHexStringLower(auth.PayloadHash.Span)}, received 0x{Convert.ToHexStringLower(payloadHash)}): they were changed on the way, or encoded differently from what was signed");
        }

        string signer;
        try
        {
            signer = CallSignature.RecoverPersonal(CallSignature.Digest(host, request.Module, request.Endpoint, payloadHash, auth.TimestampMs, auth.Nonce.Span), auth.Signature.Span);
        }
        catch (ArgumentException ex)
        {
            throw Unauthenticated($"the request cannot be signed as it stands: {ex.Message}");
        }

        if (!string.Equals(auth.Address, signer, StringComparison.OrdinalIgnoreCase))
        {
            throw Unauthenticated(
                $"signed by another address: the request claims {auth.Address} but its signature recovers {signer} (the host, chain and arguments match, so the key, module, endpoint, timestamp or nonce differ from the ones signed)");
        }

        Sweep(now);
        var key = $"{signer.ToLowerInvariant()}:{Convert.ToHexString(auth.Nonce.Span)}";
        if (!_seenNonces.TryAdd(key, now + 2 * window))
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
