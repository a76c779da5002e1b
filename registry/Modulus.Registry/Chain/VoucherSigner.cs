using System.Numerics;
using Modulus.Registry.Contracts;
using Nethereum.ABI.EIP712;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;

namespace Modulus.Registry.Chain;

/// <summary>
/// Signs and checks the escrow's vouchers as EIP-712 typed data, under the domain
/// <c>{name: "Modulus CallEscrow", version: "1", chainId, verifyingContract: the escrow}</c>, so a
/// voucher signed for one escrow or one chain is worthless on any other. The client signs with the
/// payer's key (or a hot key the payer authorized); the host recovers the signer before it serves.
/// </summary>
internal sealed class VoucherSigner(BigInteger chainId, string escrow)
{
    public const string DomainName = "Modulus CallEscrow";

    public const string DomainVersion = "1";

    /// <summary>The type string the contract hashes into its VOUCHER_TYPEHASH.</summary>
    public const string TypeString = "Voucher(address payer,address receiver,string module,uint256 cumulativeAmount)";

    private static readonly IDictionary<string, MemberDescription[]> Types =
        MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(Voucher));

    private readonly Eip712TypedDataSigner signer = new();

    public BigInteger ChainId { get; } = chainId;

    public string Escrow { get; } = escrow;

    /// <summary>The 65-byte signature (r, s, v with v 27 or 28; s in the lower half, as the contract requires).</summary>
    public byte[] Sign(Voucher voucher, EthECKey key) => signer.SignTypedDataV4(voucher, TypedData(), key).HexToByteArray();

    /// <summary>The digest a signer signs: keccak256(0x1901 ‖ domain separator ‖ struct hash).</summary>
    public byte[] Digest(Voucher voucher) => Eip712TypedDataEncoder.Current.EncodeAndHashTypedData(voucher, TypedData());

    /// <summary>The address that signed the voucher.</summary>
    public string Recover(Voucher voucher, byte[] signature) => signer.RecoverFromSignatureV4(voucher, TypedData(), signature.ToHex(prefix: true));

    // A fresh TypedData per call: the Nethereum signer sets the message on the object it is given.
    private TypedData<Domain> TypedData() => new()
    {
        Domain = new Domain { Name = DomainName, Version = DomainVersion, ChainId = ChainId, VerifyingContract = Escrow },
        Types = Types,
        PrimaryType = "Voucher",
    };
}
