using Nethereum.Signer;

namespace Modulus.Protocol.Signing;

/// <summary>
/// What signs a caller's requests: a secp256k1 key, the Ethereum account the caller uses on chain.
/// Implement it to sign with a key held elsewhere (a wallet, a hardware module); <see cref="FromPrivateKey"/>
/// makes one from key bytes.
/// </summary>
public abstract class CallSigner
{
    /// <summary>The signer's checksummed address (0x…).</summary>
    public abstract string Address { get; }

    /// <summary>
    /// The Ethereum personal-message signature (<c>personal_sign</c>) of a 32-byte digest: 65 bytes
    /// r, s, v with v 27 or 28.
    /// </summary>
    public abstract byte[] SignPersonal(ReadOnlySpan<byte> digest);

    /// <summary>
    /// The signature of a 32-byte hash as it is, without the personal-message prefix: what an EIP-712
    /// typed-data signature (a paid call's voucher) is. 65 bytes r, s (low), v 27 or 28.
    /// </summary>
    /// <exception cref="NotSupportedException">This signer signs personal messages only.</exception>
    public virtual byte[] SignHash(ReadOnlySpan<byte> hash) =>
        throw new NotSupportedException($"{GetType().Name} cannot sign a raw hash (an EIP-712 voucher); override SignHash to pay for calls with it.");

    /// <summary>A signer over a private key held in memory.</summary>
    /// <param name="privateKey">The 32-byte secp256k1 private key.</param>
    /// <exception cref="ArgumentException">Not a usable private key.</exception>
    public static CallSigner FromPrivateKey(ReadOnlySpan<byte> privateKey) => new PrivateKeySigner(privateKey.ToArray());

    /// <summary>A signer over a new random key.</summary>
    public static CallSigner Generate() => new PrivateKeySigner(EthECKey.GenerateKey().GetPrivateKeyAsBytes());

    private sealed class PrivateKeySigner : CallSigner
    {
        private readonly NBitcoin.Secp256k1.ECPrivKey _key;

        public PrivateKeySigner(byte[] privateKey)
        {
            if (privateKey.Length != 32)
            {
                throw new ArgumentException($"A secp256k1 private key is 32 bytes, not {privateKey.Length}.", nameof(privateKey));
            }

            if (!NBitcoin.Secp256k1.Context.Instance.TryCreateECPrivKey(privateKey, out var key) || key is null)
            {
                throw new ArgumentException("The bytes are not a secp256k1 private key (zero, or not below the curve order).", nameof(privateKey));
            }

            _key = key;
            Address = Secp256k1.AddressOf(key);
        }

        public override string Address { get; }

        public override byte[] SignPersonal(ReadOnlySpan<byte> digest) => Secp256k1.Sign(_key, Secp256k1.PersonalMessageHash(digest));

        public override byte[] SignHash(ReadOnlySpan<byte> hash) => Secp256k1.Sign(_key, hash);
    }
}
