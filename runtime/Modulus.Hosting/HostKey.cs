using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol;
using Modulus.Protocol.Signing;
using Modulus.Protocol.V1;

namespace Modulus.Hosting;

/// <summary>
/// The host's own secp256k1 key: its address is the identity signed calls name (and the receiver
/// paid-call vouchers will name), and it signs the handshake by which callers learn that identity.
/// An address rather than the announced endpoint, because one host has several endpoints (three
/// transports, names behind NAT and DNS) but one key, and because a key proves itself: a host cannot
/// claim another's address without its key.
/// </summary>
internal sealed class HostKey
{
    private readonly CallSigner _signer;

    public HostKey(IOptions<ModulusServerOptions> options, ILogger<HostKey> logger)
    {
        var identity = options.Value.Identity;
        var path = PathOf(identity);
        _signer = CallSigner.FromPrivateKey(LoadOrCreate(path, logger));
        Identity = new HostIdentity(_signer.Address, identity.ChainId);
        HostingLog.HostIdentity(logger, Identity.Address, Identity.ChainId, path);
    }

    /// <summary>The host's address and chain.</summary>
    public HostIdentity Identity { get; }

    /// <summary>The handshake answer: the identity, signed over the caller's challenge.</summary>
    public HostInfo Answer(ReadOnlySpan<byte> challenge) => new()
    {
        Address = Identity.Address,
        ChainId = Identity.ChainId,
        Signature = ByteString.CopyFrom(_signer.SignPersonal(CallSignature.HostDigest(challenge, Identity.ChainId))),
    };

    /// <summary>Where the key is kept: <c>Modulus:Identity:KeyFile</c>, else <c>$MODULUS_HOME/host.key</c>.</summary>
    public static string PathOf(ModulusIdentityOptions identity) => identity.KeyFilePath();

    /// <summary>Why an existing key file cannot be used, or null when it can (or does not exist yet and will be made).</summary>
    public static string? Problem(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                Parse(path);
            }

            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    private static byte[] LoadOrCreate(string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            try
            {
                // CreateNew: two hosts starting at once on one home must end with one key, not two.
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(path, create))
                using (var writer = new StreamWriter(stream))
                {
                    writer.WriteLine("0x" + Convert.ToHexString(key).ToLowerInvariant());
                }

                HostingLog.HostKeyCreated(logger, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another host created it first: use theirs.
            }
        }

        return Parse(path);
    }

    private static byte[] Parse(string path)
    {
        var text = File.ReadAllText(path).Trim();
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        try
        {
            var bytes = Convert.FromHexString(hex);
            return bytes.Length == 32 ? bytes : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"Modulus:Identity:KeyFile {path} does not hold a private key (64 hex digits); fix or delete it (a new key is made when none is there)");
        }
    }
}
