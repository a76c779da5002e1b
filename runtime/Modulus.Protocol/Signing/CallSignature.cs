using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Nethereum.Signer;
using Nethereum.Util;

namespace Modulus.Protocol.Signing;

/// <summary>
/// How a caller signs a call with its secp256k1 key (the Ethereum account it uses on chain).
/// <para>
/// payload hash = keccak256(the CallRequest holding only its args and kwargs, serialized);
/// digest = keccak256("modulus.v1.call" 0x00 module 0x00 endpoint 0x00 payload-hash timestamp-ms(int64 BE) nonce);
/// signature = the Ethereum personal-message signature of the 32-byte digest (what <c>personal_sign</c>
/// gives), so any Ethereum wallet can sign a call.
/// </para>
/// </summary>
public static class CallSignature
{
    /// <summary>The nonce length a signer uses.</summary>
    public const int NonceBytes = 16;

    private static readonly byte[] Domain = Encoding.UTF8.GetBytes("modulus.v1.call");
    private static readonly EthereumMessageSigner Signer = new();

    /// <summary>keccak256 of the call's arguments.</summary>
    public static byte[] PayloadHash(CallRequest request)
    {
        var payload = new CallRequest();
        payload.Args.Add(request.Args);
        payload.Kwargs.Add(request.Kwargs);
        return Sha3Keccack.Current.CalculateHash(payload.ToByteArray());
    }

    /// <summary>The 32 bytes that are signed.</summary>
    public static byte[] Digest(CallRequest request, long timestampMs, ReadOnlySpan<byte> nonce)
    {
        var module = Encoding.UTF8.GetBytes(request.Module);
        var endpoint = Encoding.UTF8.GetBytes(string.IsNullOrEmpty(request.Endpoint) ? ModuleCall.DefaultEndpoint : request.Endpoint);
        var payloadHash = PayloadHash(request);
        var message = new byte[Domain.Length + 1 + module.Length + 1 + endpoint.Length + 1 + payloadHash.Length + 8 + nonce.Length];
        var span = message.AsSpan();
        Domain.CopyTo(span);
        span = span[(Domain.Length + 1)..];
        module.CopyTo(span);
        span = span[(module.Length + 1)..];
        endpoint.CopyTo(span);
        span = span[(endpoint.Length + 1)..];
        payloadHash.CopyTo(span);
        span = span[payloadHash.Length..];
        BinaryPrimitives.WriteInt64BigEndian(span, timestampMs);
        nonce.CopyTo(span[8..]);
        return Sha3Keccack.Current.CalculateHash(message);
    }

    /// <summary>Signs a request in place: fills its <see cref="Auth"/> with address, signature, timestamp and a fresh nonce.</summary>
    public static void Sign(CallRequest request, CallSigner signer, DateTimeOffset now)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var timestamp = now.ToUnixTimeMilliseconds();
        var signature = signer.SignPersonal(Digest(request, timestamp, nonce));
        request.Auth = new Auth
        {
            Address = signer.Address,
            Signature = ByteString.CopyFrom(signature),
            TimestampMs = timestamp,
            Nonce = ByteString.CopyFrom(nonce),
        };
    }

    /// <summary>The address that signed the request.</summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED: the signature is malformed or recovers no key.</exception>
    public static string Recover(CallRequest request)
    {
        var auth = request.Auth;
        if (auth.Signature.Length != 65)
        {
            throw new ModulusException(StatusCode.Unauthenticated, $"the signature is {auth.Signature.Length} bytes; a secp256k1 signature is 65 (r, s, v)");
        }

        try
        {
            var digest = Digest(request, auth.TimestampMs, auth.Nonce.Span);
            return Signer.EcRecover(digest, "0x" + Convert.ToHexString(auth.Signature.Span));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or ArithmeticException)
        {
            throw new ModulusException(StatusCode.Unauthenticated, $"the signature recovers no key: {ex.Message}");
        }
    }
}
