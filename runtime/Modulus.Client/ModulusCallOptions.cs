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
}

/// <summary>What a host serves: its modules, the module folders that failed to load, and the modules still loading.</summary>
public sealed record ModuleListing(IReadOnlyList<Modulus.Sdk.ModuleInfo> Modules, IReadOnlyList<ModuleLoadFault> Faults)
{
    /// <summary>Modules the host found and is still loading; they answer UNAVAILABLE until they are ready.</summary>
    public IReadOnlyList<string> Loading { get; init; } = [];
}

/// <summary>A module folder the host could not load.</summary>
public sealed record ModuleLoadFault(string Path, string Reason);
