namespace Modulus.Hosting;

/// <summary>
/// Who the host is to signed callers: configuration section <c>Modulus:Identity</c>. Signed calls (and
/// paid-call vouchers) name the host's address and chain id, so a call signed for one host is refused by
/// every other.
/// </summary>
public sealed class ModulusIdentityOptions
{
    /// <summary>
    /// A file holding the host's secp256k1 private key (64 hex digits, optionally 0x-prefixed). Null uses
    /// <c>$MODULUS_HOME/host.key</c>, created with a new random key (owner-only) on first start.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>The file the host's key is in: <see cref="KeyFile"/>, else <c>$MODULUS_HOME/host.key</c>. The host's address receives paid calls' vouchers and redeems them, so tools that redeem read the key from here.</summary>
    public string KeyFilePath() => KeyFile ?? Path.Combine(Protocol.ModulusHome.Path, "host.key");

    /// <summary>The EVM chain id signed calls must name: 31337 for the development chain, 0 for none.</summary>
    public ulong ChainId { get; set; } = 31337;
}
