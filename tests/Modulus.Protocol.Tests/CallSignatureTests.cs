using Google.Protobuf;
using Modulus.Protocol.Signing;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Xunit;
using StatusCode = Modulus.Sdk.StatusCode;
using Value = Modulus.Sdk.Value;

namespace Modulus.Protocol.Tests;

/// <summary>The signed digest's layout and the strict signature rules, pinned by the README's test vectors.</summary>
public sealed class CallSignatureTests
{
    // The README's "Signing" test vector: other languages check their signers against these bytes.
    private const string PrivateKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    private const string SignerAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    private const long Timestamp = 1767225600000;
    private const string Nonce = "000102030405060708090a0b0c0d0e0f";
    private static readonly HostIdentity Host = new("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", 31337);

    public static CallRequest VectorRequest() => CallMapper.ToMessage(new ModuleCall(
        "text.stats", "forward", [Value.From("Some text.")], new Dictionary<string, Value> { ["top"] = 3 }));

    [Fact]
    public void TestVector_GivesTheDocumentedBytes()
    {
        var request = VectorRequest();
        var signer = CallSigner.FromPrivateKey(Convert.FromHexString(PrivateKey));
        CallSignature.Sign(request, signer, Host, Timestamp, Convert.FromHexString(Nonce));

        var payload = new CallRequest { Args = { request.Args }, Kwargs = { request.Kwargs } }.ToByteArray();
        var digest = CallSignature.Digest(request, Host, Timestamp, Convert.FromHexString(Nonce));
        Assert.Equal(SignerAddress, signer.Address);
        Assert.Equal(Vectors.Payload, Convert.ToHexStringLower(payload));
        Assert.Equal(Vectors.PayloadHash, Convert.ToHexStringLower(request.Auth.PayloadHash.Span));
        Assert.Equal(Vectors.Digest, Convert.ToHexStringLower(digest));
        Assert.Equal(Vectors.PersonalHash, Convert.ToHexStringLower(Secp256k1.PersonalMessageHash(digest)));
        Assert.Equal(Vectors.Signature, Convert.ToHexStringLower(request.Auth.Signature.Span));
        Assert.Equal(SignerAddress, CallSignature.RecoverPersonal(digest, request.Auth.Signature.Span));
    }

    [Fact]
    public void Digest_ChangesWithTheHostAndTheChain()
    {
        var request = VectorRequest();
        var nonce = Convert.FromHexString(Nonce);
        var digest = CallSignature.Digest(request, Host, Timestamp, nonce);
        Assert.NotEqual(digest, CallSignature.Digest(request, Host with { Address = SignerAddress }, Timestamp, nonce));
        Assert.NotEqual(digest, CallSignature.Digest(request, Host with { ChainId = 1 }, Timestamp, nonce));
        Assert.NotEqual(digest, CallSignature.Digest(request, Host with { ChainId = 0 }, Timestamp, nonce));
    }

    [Fact]
    public void HighS_WrongV_AndWrongLength_AreRefusedSayingWhy()
    {
        var request = VectorRequest();
        CallSignature.Sign(request, CallSigner.FromPrivateKey(Convert.FromHexString(PrivateKey)), Host, Timestamp, Convert.FromHexString(Nonce));
        var digest = CallSignature.Digest(request, Host, Timestamp, Convert.FromHexString(Nonce));
        var good = request.Auth.Signature.ToByteArray();

        Assert.Contains("upper half", Refused(digest, HighS(good)));
        foreach (byte v in new byte[] { 0, 1, 29, 35, 255 })
        {
            var bad = (byte[])good.Clone();
            bad[64] = v;
            Assert.Contains($"v is {v}; it must be 27 or 28", Refused(digest, bad));
        }

        Assert.Contains("65", Refused(digest, good[..64]));
        Assert.Contains("zero", Refused(digest, [.. new byte[32], .. good[32..]]));
    }

    [Fact]
    public void HostHandshake_SignedByAnotherKey_IsRefused()
    {
        var host = CallSigner.Generate();
        var impostor = CallSigner.Generate();
        var challenge = new byte[32];
        var info = new HostInfo { Address = host.Address, ChainId = 31337, Signature = ByteString.CopyFrom(host.SignPersonal(CallSignature.HostDigest(challenge, 31337))) };
        Assert.Equal(host.Address, CallSignature.VerifyHost(info, challenge).Address);

        var claimed = new HostInfo { Address = host.Address, ChainId = 31337, Signature = ByteString.CopyFrom(impostor.SignPersonal(CallSignature.HostDigest(challenge, 31337))) };
        var error = Assert.Throws<ModulusException>(() => CallSignature.VerifyHost(claimed, challenge));
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        Assert.Contains("not the host it claims", error.Message);
        // An answer to another challenge (replayed from an earlier handshake) proves nothing either.
        var other = new byte[32];
        other[0] = 1;
        Assert.Throws<ModulusException>(() => CallSignature.VerifyHost(info, other));
    }

    /// <summary>The same signature with s replaced by n - s and v flipped: valid on the curve, but not canonical.</summary>
    public static byte[] HighS(byte[] signature)
    {
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        var flipped = (byte[])signature.Clone();
        Array.Clear(flipped, 32, 32);
        (n - s).ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(flipped.AsSpan(32 + 32 - (n - s).GetByteCount(isUnsigned: true)));
        flipped[64] = (byte)(signature[64] == 27 ? 28 : 27);
        return flipped;
    }

    private static string Refused(byte[] digest, byte[] signature)
    {
        var error = Assert.Throws<ModulusException>(() => CallSignature.RecoverPersonal(digest, signature));
        Assert.Equal(StatusCode.Unauthenticated, error.Code);
        return error.Message;
    }

    private static class Vectors
    {
        public const string Payload = "220c2a0a536f6d6520746578742e2a090a03746f7012021806";
        public const string PayloadHash = "7d4a30082c52c2fa12e00ef9def36a80905b10a8201447daf5bd20a73ddb7ab7";
        public const string Digest = "92933f7d9dde24fbd08791e595bde98e262cee8ca9c72906eafdb8848cb0c77c";
        public const string PersonalHash = "93f691b77f8fd88e46913d78cf77e558de1b8b8d78dfa5d6dbde79793defeacd";
        public const string Signature = "88a9b37f5f7f80c84d1e8e5ccc14a7fcac7d938f4c6d5a15eadc3f43e3007f8902dcc1950cba50c86af5f3e80000658a01a2bccbd6f295ee1e67350167a9842a1c";
    }
}
