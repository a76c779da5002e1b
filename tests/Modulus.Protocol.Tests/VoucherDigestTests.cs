using System.Numerics;
using Modulus.Protocol.Payments;
using Modulus.Protocol.Signing;
using Modulus.Sdk;

namespace Modulus.Protocol.Tests;

public class VoucherDigestTests
{
    private const string Escrow = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
    private const string Host = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    private static readonly CallSigner Payer = CallSigner.FromPrivateKey(Convert.FromHexString("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"));

    [Fact]
    public void Sign_ThenRecover_GivesThePayer_WithAStrictLowSSignature()
    {
        var digest = new VoucherDigest(31337, Escrow);
        var voucher = digest.Sign(Payer, Payer.Address, Host, "text.stats", 1_000_000_000_000_000);

        Assert.Equal(32, voucher.CumulativeAmount.Length);
        Assert.Empty(voucher.Signer);
        Assert.Equal((Host, 31337UL, Escrow), (voucher.Receiver, voucher.ChainId, voucher.Escrow));
        // Secp256k1.RecoverAddress refuses high s and v other than 27/28: a voucher the host accepts.
        Assert.Equal(Payer.Address, digest.Recover(Payer.Address, Host, "text.stats", VoucherDigest.Amount(voucher.CumulativeAmount.Span), voucher.Signature.Span));
    }

    [Fact]
    public void Vector_IsThePythonCallersDigestAndSignature()
    {
        // module-sdk/python/tests/test_signing.py checks the same bytes.
        var digest = new VoucherDigest(31337, Escrow).Of(Payer.Address, Host, "text.stats", 1_000_000_000_000_000);
        Assert.Equal("e284cfc026e81e50425c1ebabe844115d762c2eb972ba1580a5d7c11d5985073", Convert.ToHexStringLower(digest));
        Assert.Equal(
            "55374eb1f09e05279c0dfd1b409ac68f0eee665dd52d6510b4362f8c06ad57300f10028f01592d3a924e26671bfd06159267ce5379c011f2a2f8609a441931ac1c",
            Convert.ToHexStringLower(Payer.SignHash(digest)));
    }

    [Theory]
    [InlineData(31337UL, Escrow, Host, "text.stats", 1000)]
    [InlineData(1UL, Escrow, Host, "text.stats", 1000)]
    [InlineData(31337UL, Host, Host, "text.stats", 1000)]
    [InlineData(31337UL, Escrow, Escrow, "text.stats", 1000)]
    [InlineData(31337UL, Escrow, Host, "text.tokenize", 1000)]
    [InlineData(31337UL, Escrow, Host, "text.stats", 1001)]
    public void Digest_DiffersInEveryFieldItCovers(ulong chain, string escrow, string receiver, string module, long amount)
    {
        var reference = new VoucherDigest(31337, Escrow).Of(Payer.Address, Host, "text.stats", 1000);
        var other = new VoucherDigest(chain, escrow).Of(Payer.Address, receiver, module, amount);
        Assert.Equal(chain == 31337 && escrow == Escrow && receiver == Host && module == "text.stats" && amount == 1000, reference.SequenceEqual(other));
    }

    [Fact]
    public void Amount_IsAUint256_BigEndian()
    {
        var max = BigInteger.Pow(2, 256) - 1;
        Assert.Equal(max, VoucherDigest.Amount(VoucherDigest.AmountBytes(max)));
        Assert.Equal(new BigInteger(258), VoucherDigest.Amount([1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoucherDigest.AmountBytes(max + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => VoucherDigest.AmountBytes(-1));
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<ModulusException>(() => VoucherDigest.Amount(new byte[33])).Code);
    }
}
