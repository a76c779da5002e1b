namespace Modulus.Client;

/// <summary>Options of one call.</summary>
/// <param name="Timeout">How long the caller waits; the host stops the call at the same deadline. Null uses the client's default.</param>
public sealed record ModulusCallOptions(TimeSpan? Timeout = null);

/// <summary>Options of a client.</summary>
public sealed record ModulusClientOptions
{
    /// <summary>The timeout of a call that sets none.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>When set, every call is signed by it (see <c>Modulus.Protocol.Signing.CallSignature</c>), so the host knows the caller.</summary>
    public Modulus.Protocol.Signing.CallSigner? Signer { get; init; }

    /// <summary>
    /// The host signed calls are for (its address and chain id). Null learns it from the host with a
    /// handshake before the first signed call (the host proves its key by signing a random challenge);
    /// set it to pin the host, so that calls signed here are good at that host and no other.
    /// </summary>
    public Modulus.Protocol.Signing.HostIdentity? Host { get; init; }

    /// <summary>The clock signatures are timestamped with.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>When set, calls to paid modules carry a voucher signed by <see cref="ModulusPaymentOptions.Signer"/>; calls to other modules carry none.</summary>
    public ModulusPaymentOptions? Payment { get; init; }
}

/// <summary>
/// How a client pays for calls to paid modules (module.json <c>access.mode "paid"</c>): with each
/// such call it signs an EIP-712 voucher of the escrow for the cumulative amount it has paid that host
/// for that module, this call included, and refuses before signing anything when the module's price
/// is above <see cref="MaxPricePerCall"/>.
/// </summary>
/// <param name="Signer">The key that signs vouchers: the payer's, or a hot key the payer authorized on the escrow (then set <see cref="Payer"/>).</param>
/// <param name="MaxPricePerCall">The most this client pays for one call, in $GPT as a decimal ("0.001").</param>
public sealed record ModulusPaymentOptions(Modulus.Protocol.Signing.CallSigner Signer, string MaxPricePerCall)
{
    /// <summary>The payer whose escrow deposit pays; null for the signer's own address.</summary>
    public string? Payer { get; init; }

    /// <summary>The escrow contract to sign for; null to use the one the host names in its handshake.</summary>
    public string? Escrow { get; init; }

    /// <summary>
    /// What has been paid so far, per host and module. Share one across clients, or restore it from
    /// <see cref="PaymentTally.Entries"/>, to go on paying a host after a restart; a fresh one starts at 0.
    /// </summary>
    public PaymentTally Tally { get; init; } = new();
}

/// <summary>What a host serves: its modules, the module folders that failed to load, and the modules still loading.</summary>
public sealed record ModuleListing(IReadOnlyList<Modulus.Sdk.ModuleInfo> Modules, IReadOnlyList<ModuleLoadFault> Faults)
{
    /// <summary>Modules the host found and is still loading; they answer UNAVAILABLE until they are ready.</summary>
    public IReadOnlyList<string> Loading { get; init; } = [];
}

/// <summary>A module folder the host could not load.</summary>
public sealed record ModuleLoadFault(string Path, string Reason);
