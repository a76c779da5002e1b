using System.Security.Cryptography;

namespace Modulus.Modules;

/// <summary>
/// The content hash of a module: the sha256 of its package (<see cref="ModulePackage"/>), written as
/// 64 lowercase hex digits, and stored on chain as a bytes32. <c>modulus info</c>, <c>modulus pack</c>,
/// the chain and <c>serve --announce</c> all mean this hash.
/// </summary>
public static class ContentHash
{
    /// <summary>The sha256 of <paramref name="bytes"/>, 64 lowercase hex digits.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Whether <paramref name="hex"/> is 64 hex digits (either case, no 0x).</summary>
    public static bool IsValid(string? hex) => hex is { Length: 64 } && hex.All(Uri.IsHexDigit);

    /// <summary>The 32 bytes a contract stores for a hash written as hex (with or without 0x).</summary>
    /// <exception cref="FormatException">Not 64 hex digits.</exception>
    public static byte[] ToBytes32(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var digits = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        if (!IsValid(digits))
        {
            throw new FormatException($"\"{ModuleName.Printable(hex)}\" is not a sha256: expected 64 hex digits.");
        }

        return Convert.FromHexString(digits);
    }

    /// <summary>A bytes32 read from a contract as 64 lowercase hex digits.</summary>
    /// <exception cref="ArgumentException">Not 32 bytes.</exception>
    public static string FromBytes32(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length != 32)
        {
            throw new ArgumentException($"A content hash is 32 bytes, not {bytes.Length}.", nameof(bytes));
        }

        return Convert.ToHexStringLower(bytes);
    }
}
