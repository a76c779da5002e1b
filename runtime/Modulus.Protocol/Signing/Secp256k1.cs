using NBitcoin.Secp256k1;
using Nethereum.Util;
using Modulus.Sdk;

namespace Modulus.Protocol.Signing;

/// <summary>
/// Strict recovery of the Ethereum address behind a 65-byte signature (r, s, v). Strict because a
/// signature that can be rewritten into another valid one (high s, v as 0/1 or 29+) lets a replayed
/// call look new to anything keyed by signature bytes, and because every refusal says what to fix.
/// Recovery is NBitcoin.Secp256k1's (a port of libsecp256k1): measured several times faster than
/// Nethereum's BouncyCastle recovery, which matters as every signed call pays for one.
/// </summary>
public static class Secp256k1
{
    /// <summary>n, the order of the curve, big-endian.</summary>
    private static readonly byte[] Order = Convert.FromHexString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");

    /// <summary>n / 2, big-endian: the largest s a canonical (EIP-2) signature may carry.</summary>
    private static readonly byte[] HalfOrder = Convert.FromHexString("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0");

    /// <summary>The checksummed address whose key made <paramref name="signature"/> over <paramref name="hash"/>.</summary>
    /// <param name="hash">The 32 bytes that were signed (for a personal message, its prefixed hash).</param>
    /// <param name="signature">65 bytes: r, s (at most n/2), v (27 or 28).</param>
    /// <exception cref="ModulusException">UNAUTHENTICATED, saying what is wrong with the signature.</exception>
    public static string RecoverAddress(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 65)
        {
            throw Refuse($"the signature is {signature.Length} bytes; a secp256k1 signature is 65 (r, s, v)");
        }

        var v = signature[64];
        if (v is not (27 or 28))
        {
            throw Refuse($"the signature's v is {v}; it must be 27 or 28 (a recovery id of 0 or 1 plus 27, as personal_sign writes it)");
        }

        var r = signature[..32];
        var s = signature[32..64];
        if (!r.ContainsAnyExcept((byte)0) || !s.ContainsAnyExcept((byte)0))
        {
            throw Refuse("the signature's r or s is zero");
        }

        if (r.SequenceCompareTo(Order) >= 0)
        {
            throw Refuse("the signature's r is not below the curve order");
        }

        if (s.SequenceCompareTo(HalfOrder) > 0)
        {
            throw Refuse("the signature's s is in the upper half of the curve order (a malleable high-s signature); sign with low s (EIP-2), as every Ethereum signer does");
        }

        if (!SecpRecoverableECDSASignature.TryCreateFromCompact(signature[..64], v - 27, out var recoverable) || recoverable is null)
        {
            throw Refuse("the signature's r or s is not a valid scalar");
        }

        if (!ECPubKey.TryRecover(Context.Instance, recoverable, hash, out var key) || key is null)
        {
            throw Refuse("the signature recovers no key");
        }

        Span<byte> point = stackalloc byte[65];
        key.WriteToSpan(compressed: false, point, out _);
        var keyHash = Sha3Keccack.Current.CalculateHash(point[1..].ToArray());
        return AddressUtil.Current.ConvertToChecksumAddress(Convert.ToHexString(keyHash, 12, 20));
    }

    /// <summary>
    /// Signs a 32-byte hash: 65 bytes r, s (low, as libsecp256k1 always makes it), v 27 or 28, with
    /// RFC 6979 nonces, so the same key and hash give the same bytes as any Ethereum signer. NBitcoin's
    /// port of libsecp256k1 rather than Nethereum's BouncyCastle signer, which took milliseconds per
    /// signature and made a signed call's latency mostly the client's signing (see BENCHMARKS.md).
    /// </summary>
    public static byte[] Sign(ECPrivKey key, ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException($"A hash to sign is 32 bytes, not {hash.Length}.", nameof(hash));
        }

        if (!key.TrySignRecoverable(hash, out var signature) || signature is null)
        {
            throw new InvalidOperationException("secp256k1 could not sign the hash");
        }

        var bytes = new byte[65];
        signature.WriteToSpanCompact(bytes.AsSpan(0, 64), out var recoveryId);
        bytes[64] = (byte)(27 + recoveryId);
        return bytes;
    }

    /// <summary>The checksummed address of a private key.</summary>
    public static string AddressOf(ECPrivKey key)
    {
        Span<byte> point = stackalloc byte[65];
        key.CreatePubKey().WriteToSpan(compressed: false, point, out _);
        var keyHash = Sha3Keccack.Current.CalculateHash(point[1..].ToArray());
        return AddressUtil.Current.ConvertToChecksumAddress(Convert.ToHexString(keyHash, 12, 20));
    }

    /// <summary>The hash an Ethereum wallet signs for a 32-byte message: keccak256("\x19Ethereum Signed Message:\n32" message).</summary>
    public static byte[] PersonalMessageHash(ReadOnlySpan<byte> message)
    {
        var prefix = "\u0019Ethereum Signed Message:\n"u8;
        var length = System.Text.Encoding.ASCII.GetBytes(message.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var bytes = new byte[prefix.Length + length.Length + message.Length];
        prefix.CopyTo(bytes);
        length.CopyTo(bytes.AsSpan(prefix.Length));
        message.CopyTo(bytes.AsSpan(prefix.Length + length.Length));
        return Sha3Keccack.Current.CalculateHash(bytes);
    }

    private static ModulusException Refuse(string message) => new(StatusCode.Unauthenticated, message);
}
