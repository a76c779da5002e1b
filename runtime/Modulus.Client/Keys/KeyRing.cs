using System.Text.Json;
using System.Text.RegularExpressions;
using Modulus.Protocol;
using Nethereum.KeyStore;
using Nethereum.Signer;

namespace Modulus.Client.Keys;

/// <summary>A named key: its address and the keystore file that holds it encrypted.</summary>
public sealed record KeyInfo(string Name, string Address, string Path);

/// <summary>
/// The user's secp256k1 accounts, one encrypted keystore file (Web3 Secret Storage, as Ethereum
/// wallets write them) per name in <c>$MODULUS_HOME/keys</c>. The same accounts sign calls and,
/// later, registry transactions.
/// </summary>
public sealed partial class KeyRing(string directory)
{
    private static readonly KeyStoreService KeyStore = new();
    private static readonly KeyStoreScryptService ScryptKeyStore = new();

    // scrypt with N = 2^17, r = 8, p = 1 (128 MB): within scrypt's own bound N < 2^(16 r), which
    // Nethereum's default (N = 2^18, r = 1, p = 8) breaks, so that OpenSSL (Python's hashlib.scrypt,
    // and the wallets built on it) can open the file too; r = 8 is what geth writes.
    private static readonly Nethereum.KeyStore.Model.ScryptParams StoredScrypt = new() { Dklen = 32, N = 1 << 17, R = 8, P = 1 };

    /// <summary>The key ring in the user's Modulus home.</summary>
    public static KeyRing Default => new(System.IO.Path.Combine(ModulusHome.Path, "keys"));

    /// <summary>The folder holding the keystore files.</summary>
    public string Directory { get; } = directory;

    /// <summary>Creates a fresh key.</summary>
    /// <exception cref="KeyRingException">The name is invalid or taken, or the passphrase empty.</exception>
    public KeyInfo Create(string name, string passphrase) => Store(name, EthECKey.GenerateKey(), passphrase);

    /// <summary>Imports a private key given as hex (with or without 0x).</summary>
    public KeyInfo ImportPrivateKey(string name, string privateKeyHex, string passphrase)
    {
        var hex = privateKeyHex.Trim();
        hex = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            throw new KeyRingException("a private key is 32 bytes written as 64 hex digits (optionally after 0x)");
        }

        return Store(name, new EthECKey(hex), passphrase);
    }

    /// <summary>Imports a keystore file (Web3 Secret Storage) made by a wallet, after checking its passphrase.</summary>
    public KeyInfo ImportKeystore(string name, string keystoreJson, string passphrase)
    {
        byte[] privateKey;
        try
        {
            privateKey = KeyStore.DecryptKeyStoreFromJson(passphrase, keystoreJson);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new KeyRingException($"the keystore cannot be opened with that passphrase, or is not a Web3 Secret Storage file ({ex.Message})");
        }

        return Store(name, new EthECKey(privateKey, isPrivate: true), passphrase);
    }

    /// <summary>The keys in the ring, by name; nothing is decrypted.</summary>
    public IReadOnlyList<KeyInfo> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        return System.IO.Directory.GetFiles(Directory, "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => new KeyInfo(System.IO.Path.GetFileNameWithoutExtension(path), ReadAddress(path), path))
            .ToArray();
    }

    /// <summary>One key's address and file.</summary>
    /// <exception cref="KeyRingException">No key has that name.</exception>
    public KeyInfo Get(string name)
    {
        var path = PathOf(name);
        return File.Exists(path)
            ? new KeyInfo(name, ReadAddress(path), path)
            : throw new KeyRingException($"no key named \"{name}\" in {Directory}; `modulus keys ls` lists them, `modulus keys new {name}` makes one");
    }

    /// <summary>Decrypts a key for signing.</summary>
    /// <exception cref="KeyRingException">No such key, or the passphrase is wrong.</exception>
    public UnlockedKey Unlock(string name, string passphrase)
    {
        var info = Get(name);
        try
        {
            var privateKey = KeyStore.DecryptKeyStoreFromJson(passphrase, File.ReadAllText(info.Path));
            return new UnlockedKey(name, Modulus.Protocol.Signing.CallSigner.FromPrivateKey(privateKey), privateKey);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not KeyRingException)
        {
            throw new KeyRingException($"the passphrase does not open key \"{name}\" ({info.Path})");
        }
    }

    private KeyInfo Store(string name, EthECKey key, string passphrase)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new KeyRingException($"\"{name}\" is not a key name; use letters, digits, '-' and '_' (at most 64)");
        }

        if (string.IsNullOrEmpty(passphrase))
        {
            throw new KeyRingException("the passphrase is empty; a key is stored encrypted with a passphrase");
        }

        var path = PathOf(name);
        if (File.Exists(path))
        {
            throw new KeyRingException($"a key named \"{name}\" already exists ({path}); pick another name");
        }

        System.IO.Directory.CreateDirectory(Directory);
        var address = key.GetPublicAddress();
        var json = ScryptKeyStore.EncryptAndGenerateKeyStoreAsJson(passphrase, key.GetPrivateKeyAsBytes(), address, StoredScrypt);
        // Only the owner may read a keystore file, as wallets keep them.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(json);
        }

        return new KeyInfo(name, address, path);
    }

    private string PathOf(string name) => System.IO.Path.Combine(Directory, name + ".json");

    private static string ReadAddress(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var address = document.RootElement.GetProperty("address").GetString() ?? string.Empty;
            return address.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? address : "0x" + address;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or IOException)
        {
            return "(unreadable keystore)";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();
}

/// <summary>A key-ring operation failed; the message says why and what to do.</summary>
public sealed class KeyRingException(string message) : Exception(message);

/// <summary>A key of the ring, decrypted: it signs calls, and its private key signs transactions.</summary>
/// <param name="Name">The key's name in the ring.</param>
/// <param name="Signer">Signs calls as this key's address.</param>
/// <param name="PrivateKey">The 32-byte private key, for an Ethereum account that sends transactions.</param>
public sealed record UnlockedKey(string Name, Modulus.Protocol.Signing.CallSigner Signer, byte[] PrivateKey)
{
    /// <summary>The key's address (0x…).</summary>
    public string Address => Signer.Address;
}
