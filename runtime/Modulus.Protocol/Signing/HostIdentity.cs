namespace Modulus.Protocol.Signing;

/// <summary>
/// Whom a signature is for: a host's address (the key it proves in the <c>GetHostInfo</c> handshake)
/// and the chain it answers for. Signed calls name it so that they are good at one host only; paid-call
/// vouchers name the same address as their receiver and the same chain id in their EIP-712 domain.
/// </summary>
/// <param name="Address">The host's checksummed address (0x…).</param>
/// <param name="ChainId">The EVM chain id (31337 for the development chain); 0 when the host names none.</param>
public sealed record HostIdentity(string Address, ulong ChainId)
{
    /// <summary>The 20 address bytes.</summary>
    /// <exception cref="FormatException">Not a 0x-prefixed 20-byte hex address.</exception>
    public byte[] AddressBytes() => ParseAddress(Address);

    /// <summary>The 20 bytes of a 0x-prefixed hex address.</summary>
    /// <exception cref="FormatException">Not a 0x-prefixed 20-byte hex address.</exception>
    public static byte[] ParseAddress(string address)
    {
        if (address is not { Length: 42 } || !address.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"\"{address}\" is not an address; an address is 0x and 40 hex digits");
        }

        return Convert.FromHexString(address.AsSpan(2));
    }
}
