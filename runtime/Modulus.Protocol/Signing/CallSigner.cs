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

    /// <summary>A signer over a private key held in memory.</summary>
    /// <param name="privateKey">The 32-byte secp256k1 private key.</param>
    /// <exception cref="ArgumentException">Not a usable private key.</exception>
    public static CallSigner FromPrivateKey(ReadOnlySpan<byte> privateKey) => new PrivateKeySigner(privateKey.ToArray());

    /// <summary>A signer over a new random key.</summary>
    public static CallSigner Generate() => new PrivateKeySigner(EthECKey.GenerateKey().GetPrivateKeyAsBytes());

    private sealed class PrivateKeySigner : CallSigner
    {
        private static readonly EthereumMessageSigner Signer = new();
        private readonly EthECKey _key;

        public PrivateKeySigner(byte[] privateKey)
        {
            if (privateKey.Length != 32)
            {
                throw new ArgumentException($"A secp256k1 private key is 32 bytes, not {privateKey.Length}.", nameof(privateKey));
            }

            _key = new EthECKey(privateKey, isPrivate: true);
            Address = _key.GetPublicAddress();
        }

        public override string Address { get; }

        public override byte[] SignPersonal(ReadOnlySpan<byte> digest) => Convert.FromHexString(Signer.Sign(digest.ToArray(), _key)[2..]);
    }
}
