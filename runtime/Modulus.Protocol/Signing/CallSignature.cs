using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Nethereum.Util;

namespace Modulus.Protocol.Signing;

/// <summary>
/// How a caller signs a call with its secp256k1 key (the Ethereum account it uses on chain).
/// <para>
/// payload hash = keccak256(the CallRequest holding only its args and kwargs, serialized);
/// digest = keccak256("modulus.v2.call" 0x00 host-address(20 bytes) chain-id(uint64 BE) module 0x00
/// endpoint 0x00 payload-hash(32) timestamp-ms(int64 BE) nonce);
/// signature = the Ethereum personal-message signature of the 32-byte digest (what <c>personal_sign</c>
/// gives), so any Ethereum wallet can sign a call. The host address and chain id bind the call to one host:
/// replayed to another host serving the same module, it is refused.
/// </para>
/// </summary>
public static class CallSignature
{
    /// <summary>The nonce length a signer uses.</summary>
    public const int NonceBytes = 16;

    /// <summary>The digest's domain: a new layout gets a new version, so that no digest means two things.</summary>
    public const string Domain = "modulus.v2.call";

    /// <summary>The domain of the host's answer to a handshake challenge.</summary>
    public const string HostDomain = "modulus.v2.host";

    private static readonly byte[] DomainBytes = Encoding.UTF8.GetBytes(Domain);
    private static readonly byte[] HostDomainBytes = Encoding.UTF8.GetBytes(HostDomain);

    /// <summary>keccak256 of the call's arguments.</summary>
    public static byte[] PayloadHash(CallRequest request)
    {
        var payload = new CallRequest();
        payload.Args.Add(request.Args);
        payload.Kwargs.Add(request.Kwargs);
        return Sha3Keccack.Current.CalculateHash(payload.ToByteArray());
    }

    /// <summary>The 32 bytes that are signed, from their parts (see the class summary for the layout).</summary>
    /// <exception cref="ArgumentException">The payload hash is not 32 bytes, or the module or endpoint holds a 0 byte.</exception>
    public static byte[] Digest(HostIdentity host, string module, string endpoint, ReadOnlySpan<byte> payloadHash, long timestampMs, ReadOnlySpan<byte> nonce)
    {
        if (payloadHash.Length != 32)
        {
            throw new ArgumentException($"A payload hash is 32 bytes, not {payloadHash.Length}.", nameof(payloadHash));
        }

        // The 0 separators make the layout unambiguous only if the names cannot hold one.
        if (module.Contains('\0') || endpoint.Contains('\0'))
        {
            throw new ArgumentException("A module or endpoint name cannot hold a 0 character.", nameof(module));
        }

        var address = host.AddressBytes();
        var moduleBytes = Encoding.UTF8.GetBytes(module);
        var endpointBytes = Encoding.UTF8.GetBytes(string.IsNullOrEmpty(endpoint) ? ModuleCall.DefaultEndpoint : endpoint);
        var message = new byte[DomainBytes.Length + 1 + 20 + 8 + moduleBytes.Length + 1 + endpointBytes.Length + 1 + 32 + 8 + nonce.Length];
        var span = message.AsSpan();
        DomainBytes.CopyTo(span);
        span = span[(DomainBytes.Length + 1)..];
        address.CopyTo(span);
        BinaryPrimitives.WriteUInt64BigEndian(span[20..], host.ChainId);
        span = span[28..];
        moduleBytes.CopyTo(span);
        span = span[(moduleBytes.Length + 1)..];
        endpointBytes.CopyTo(span);
        span = span[(endpointBytes.Length + 1)..];
        payloadHash.CopyTo(span);
        BinaryPrimitives.WriteInt64BigEndian(span[32..], timestampMs);
        nonce.CopyTo(span[40..]);
        return Sha3Keccack.Current.CalculateHash(message);
    }

    /// <summary>The 32 bytes that are signed for <paramref name="request"/> at <paramref name="host"/>.</summary>
    public static byte[] Digest(CallRequest request, HostIdentity host, long timestampMs, ReadOnlySpan<byte> nonce) =>
        Digest(host, request.Module, request.Endpoint, PayloadHash(request), timestampMs, nonce);

    /// <summary>
    /// Signs a request for <paramref name="host"/> in place: fills its <see cref="Auth"/> with the address,
    /// signature, timestamp, a fresh nonce, and in clear the host, chain and payload hash it signed.
    /// </summary>
    public static void Sign(CallRequest request, CallSigner signer, HostIdentity host, DateTimeOffset now) =>
        Sign(request, signer, host, now.ToUnixTimeMilliseconds(), RandomNumberGenerator.GetBytes(NonceBytes));

    /// <summary>Signs with a given timestamp and nonce: for test vectors; callers use the overload that draws a fresh nonce.</summary>
    public static void Sign(CallRequest request, CallSigner signer, HostIdentity host, long timestampMs, ReadOnlySpan<byte> nonce)
    {
        var payloadHash = PayloadHash(request);
        var digest = Digest(host, request.Module, request.Endpoint, payloadHash, timestampMs, nonce);
        request.Auth = new Auth
        {
            Address = signer.Address,
            Signature = ByteString.CopyFrom(signer.SignPersonal(digest)),
            TimestampMs = timestampMs,
            Nonce = ByteString.CopyFrom(nonce),
            Host = host.Address,
            ChainId = host.ChainId,
            PayloadHash = ByteString.CopyFrom(payloadHash),
        };
    }

    /// <summary>The address that signed <paramref name="digest"/> as a personal message, checked strictly (see <see cref="Secp256k1"/>).</summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED: the signature is malformed, not canonical, or recovers no key.</exception>
    public static string RecoverPersonal(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) =>
        Secp256k1.RecoverAddress(Secp256k1.PersonalMessageHash(digest), signature);

    /// <summary>What a host signs to prove its identity: keccak256("modulus.v2.host" 0x00 challenge chain-id(uint64 BE)).</summary>
    public static byte[] HostDigest(ReadOnlySpan<byte> challenge, ulong chainId)
    {
        var message = new byte[HostDomainBytes.Length + 1 + challenge.Length + 8];
        HostDomainBytes.CopyTo(message, 0);
        challenge.CopyTo(message.AsSpan(HostDomainBytes.Length + 1));
        BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(message.Length - 8), chainId);
        return Sha3Keccack.Current.CalculateHash(message);
    }

    /// <summary>Checks a host's handshake answer against the challenge sent.</summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED: the answer is not signed by the address it names.</exception>
    public static HostIdentity VerifyHost(HostInfo info, ReadOnlySpan<byte> challenge)
    {
        var signer = RecoverPersonal(HostDigest(challenge, info.ChainId), info.Signature.Span);
        if (!string.Equals(signer, info.Address, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModulusException(StatusCode.Unauthenticated, $"the host names itself {info.Address} but its handshake is signed by {signer}; it is not the host it claims to be");
        }

        return new HostIdentity(signer, info.ChainId);
    }
}
