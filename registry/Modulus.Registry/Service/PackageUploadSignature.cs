using System.Globalization;
using Nethereum.Signer;

namespace Modulus.Registry.Service;

/// <summary>
/// Who uploads a package: the uploader signs (EIP-191 personal message, secp256k1, the key it
/// publishes with) <c>modulus put-package sha256:HASH at MS</c>, and sends the timestamp and the
/// signature as gRPC metadata. The service recovers the address and stores the package only when
/// the name in its manifest belongs to that address on chain, or, for a name nobody owns yet
/// (publish uploads before it claims), within a small quota per address.
/// </summary>
public static class PackageUploadSignature
{
    /// <summary>The metadata key of the upload's timestamp (Unix milliseconds).</summary>
    public const string TimestampHeader = "modulus-upload-timestamp";

    /// <summary>The metadata key of the signature (0x-prefixed hex, 65 bytes).</summary>
    public const string SignatureHeader = "modulus-upload-signature";

    /// <summary>How far an upload's timestamp may be from the service's clock.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>The text signed.</summary>
    public static string Message(string sha256Hex, long timestampMs) =>
        $"modulus put-package sha256:{sha256Hex.ToLowerInvariant()} at {timestampMs.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Signs an upload of the package with <paramref name="sha256Hex"/> at <paramref name="timestampMs"/>.</summary>
    public static string Sign(EthECKey key, string sha256Hex, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new EthereumMessageSigner().EncodeUTF8AndSign(Message(sha256Hex, timestampMs), key);
    }

    /// <summary>The address that signed, or null when the signature is malformed.</summary>
    public static string? Recover(string sha256Hex, long timestampMs, string signature)
    {
        try
        {
            return new EthereumMessageSigner().EncodeUTF8AndEcRecover(Message(sha256Hex, timestampMs), signature);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Bytes that are not a signature fail inside Nethereum and BouncyCastle in many ways; all mean "unsigned".
            return null;
        }
    }
}
