using System.Numerics;
using System.Text;
using Modulus.Protocol.Signing;
using Modulus.Sdk;
using Nethereum.Util;

namespace Modulus.Protocol.Payments;

/// <summary>
/// The EIP-712 digest of a CallEscrow voucher, computed directly (keccak256 over fixed-width words),
/// so that callers and hosts sign and check vouchers without a typed-data library on the hot path:
/// <c>keccak256(0x19 0x01 ‖ domainSeparator ‖ keccak256(VOUCHER_TYPEHASH ‖ payer ‖ receiver ‖ keccak256(module) ‖ amount))</c>
/// under the domain <c>{name: "Modulus CallEscrow", version: "1", chainId, verifyingContract: escrow}</c>.
/// Tests check it against the contract's own <c>voucherDigest</c> and Nethereum's typed-data encoder.
/// </summary>
public sealed class VoucherDigest
{
    /// <summary>The EIP-712 domain name of the escrow.</summary>
    public const string DomainName = "Modulus CallEscrow";

    /// <summary>The EIP-712 domain version of the escrow.</summary>
    public const string DomainVersion = "1";

    /// <summary>The voucher's EIP-712 type, as the contract hashes it.</summary>
    public const string TypeString = "Voucher(address payer,address receiver,string module,uint256 cumulativeAmount)";

    private static readonly byte[] DomainTypeHash = Keccak("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"u8);
    private static readonly byte[] VoucherTypeHash = Keccak(Encoding.ASCII.GetBytes(TypeString));

    private readonly byte[] _domainSeparator;

    /// <summary>The digests of one escrow on one chain.</summary>
    /// <param name="chainId">The EVM chain id.</param>
    /// <param name="escrow">The CallEscrow contract's address.</param>
    /// <exception cref="FormatException">The escrow is not an address.</exception>
    public VoucherDigest(ulong chainId, string escrow)
    {
        ChainId = chainId;
        Escrow = escrow;
        var words = new byte[5 * 32];
        DomainTypeHash.CopyTo(words, 0);
        Keccak(Encoding.UTF8.GetBytes(DomainName)).CopyTo(words, 32);
        Keccak(Encoding.UTF8.GetBytes(DomainVersion)).CopyTo(words, 64);
        WriteUint(words.AsSpan(96, 32), chainId);
        HostIdentity.ParseAddress(escrow).CopyTo(words, 128 + 12);
        _domainSeparator = Keccak(words);
    }

    /// <summary>The chain id of the domain.</summary>
    public ulong ChainId { get; }

    /// <summary>The escrow's address, the domain's verifying contract.</summary>
    public string Escrow { get; }

    /// <summary>The 32-byte digest a payer signs.</summary>
    /// <exception cref="FormatException">An address is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The amount is negative or above 2^256 - 1.</exception>
    public byte[] Of(string payer, string receiver, string module, BigInteger cumulativeAmount)
    {
        var words = new byte[5 * 32];
        VoucherTypeHash.CopyTo(words, 0);
        HostIdentity.ParseAddress(payer).CopyTo(words, 32 + 12);
        HostIdentity.ParseAddress(receiver).CopyTo(words, 64 + 12);
        Keccak(Encoding.UTF8.GetBytes(module)).CopyTo(words, 96);
        AmountBytes(cumulativeAmount).CopyTo(words, 128);
        var structHash = Keccak(words);

        var message = new byte[2 + 32 + 32];
        message[0] = 0x19;
        message[1] = 0x01;
        _domainSeparator.CopyTo(message, 2);
        structHash.CopyTo(message, 34);
        return Keccak(message);
    }

    /// <summary>Signs a voucher with <paramref name="signer"/> (the payer's key or one it authorized on the escrow).</summary>
    public V1.Voucher Sign(CallSigner signer, string payer, string receiver, string module, BigInteger cumulativeAmount)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var signature = signer.SignHash(Of(payer, receiver, module, cumulativeAmount));
        return new V1.Voucher
        {
            Payer = payer,
            CumulativeAmount = Google.Protobuf.ByteString.CopyFrom(AmountBytes(cumulativeAmount)),
            Signature = Google.Protobuf.ByteString.CopyFrom(signature),
            Signer = string.Equals(signer.Address, payer, StringComparison.OrdinalIgnoreCase) ? string.Empty : signer.Address,
            Receiver = receiver,
            ChainId = ChainId,
            Escrow = Escrow,
        };
    }

    /// <summary>The address whose key signed the voucher for <paramref name="receiver"/> and <paramref name="module"/> in this domain.</summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED when the signature is malformed (see <see cref="Secp256k1.RecoverAddress"/>).</exception>
    public string Recover(string payer, string receiver, string module, BigInteger cumulativeAmount, ReadOnlySpan<byte> signature) =>
        Secp256k1.RecoverAddress(Of(payer, receiver, module, cumulativeAmount), signature);

    /// <summary>An amount as the 32-byte big-endian word of a uint256.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or above 2^256 - 1.</exception>
    public static byte[] AmountBytes(BigInteger amount)
    {
        if (amount.Sign < 0 || amount.GetByteCount(isUnsigned: true) > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, "A voucher's amount is a uint256.");
        }

        var bytes = new byte[32];
        var written = amount.GetByteCount(isUnsigned: true);
        amount.TryWriteBytes(bytes.AsSpan(32 - written), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }

    /// <summary>Reads an unsigned big-endian amount of at most 32 bytes.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT when it is longer than 32 bytes.</exception>
    public static BigInteger Amount(ReadOnlySpan<byte> bytes, string field = "cumulative_amount") => bytes.Length > 32
        ? throw new ModulusException(StatusCode.InvalidArgument, $"the voucher's {field} is {bytes.Length} bytes; a uint256 is at most 32 (big-endian)")
        : new BigInteger(bytes, isUnsigned: true, isBigEndian: true);

    private static void WriteUint(Span<byte> word, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            word[31 - i] = (byte)(value >> (8 * i));
        }
    }

    private static byte[] Keccak(ReadOnlySpan<byte> bytes) => Sha3Keccack.Current.CalculateHash(bytes.ToArray());
}
