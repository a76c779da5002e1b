using Modulus.Client.Keys;
using Modulus.Testing;

namespace Modulus.Client.Tests;

public sealed class KeyRingTests : IDisposable
{
    // The example account of the Web3 Secret Storage definition's readers: a known key and its address.
    private const string KnownPrivateKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    private const string KnownAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    private readonly TempTree _home = new();

    private KeyRing Ring => new(Path.Combine(_home.Root, "keys"));

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Create_ThenUnlock_GivesTheSameAccount()
    {
        var created = Ring.Create("alice", "correct horse");
        Assert.Matches("^0x[0-9a-fA-F]{40}$", created.Address);
        Assert.Equal(created, Assert.Single(Ring.List()));
        Assert.Equal(created.Address, Ring.Unlock("alice", "correct horse").Address, ignoreCase: true);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(created.Path));
        }
    }

    [Fact]
    public void ImportPrivateKey_GivesItsKnownAddress_AndTheFileIsAStandardKeystore()
    {
        var imported = Ring.ImportPrivateKey("known", KnownPrivateKey, "pw");
        Assert.Equal(KnownAddress, imported.Address, ignoreCase: true);

        var copy = new KeyRing(Path.Combine(_home.Root, "other")).ImportKeystore("copy", File.ReadAllText(imported.Path), "pw");
        Assert.Equal(KnownAddress, copy.Address, ignoreCase: true);
    }

    [Fact]
    public void Unlock_WrongPassphrase_SaysSo()
    {
        Ring.Create("alice", "right");
        Assert.Contains("passphrase does not open key \"alice\"", Assert.Throws<KeyRingException>(() => Ring.Unlock("alice", "wrong")).Message);
    }

    [Theory]
    [InlineData("bad name", "pw", "not a key name")]
    [InlineData("ok", "", "passphrase is empty")]
    public void Create_BadNameOrEmptyPassphrase_IsRefused(string name, string passphrase, string expected)
    {
        Assert.Contains(expected, Assert.Throws<KeyRingException>(() => Ring.Create(name, passphrase)).Message);
    }

    [Fact]
    public void Create_TakenName_IsRefused_AndMissingKeySaysHowToMakeOne()
    {
        Ring.Create("alice", "pw");
        Assert.Contains("already exists", Assert.Throws<KeyRingException>(() => Ring.Create("alice", "pw")).Message);
        Assert.Contains("modulus keys new bob", Assert.Throws<KeyRingException>(() => Ring.Get("bob")).Message);
        Assert.Contains("64 hex digits", Assert.Throws<KeyRingException>(() => Ring.ImportPrivateKey("x", "0x1234", "pw")).Message);
    }
}
