using Modulus.Registry.Chain;

namespace Modulus.Registry.Service;

/// <summary>How <c>modulus registry serve</c> runs.</summary>
public sealed record RegistryServiceOptions
{
    /// <summary>The address to listen on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The gRPC port; 0 picks a free one.</summary>
    public int Port { get; init; } = 7060;

    /// <summary>Holds the LiteDB index (<c>index.db</c>) and the package store (<c>packages/</c>).</summary>
    public string DataDirectory { get; init; } = Path.Combine(Protocol.ModulusHome.Path, "registry");

    /// <summary>The chain's JSON-RPC endpoint.</summary>
    public required string RpcUrl { get; init; }

    /// <summary>The contracts to follow.</summary>
    public required RegistryDeployment Deployment { get; init; }

    /// <summary>How often to look for new blocks once caught up.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Blocks per log query while catching up.</summary>
    public int BatchBlocks { get; init; } = 2_000;

    /// <summary>How deep a block must be before it is indexed (0 for a development chain; a few on a public one).</summary>
    public int Confirmations { get; init; }

    /// <summary>The largest package the store accepts.</summary>
    public long MaxPackageBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// How many bytes of packages one address may have stored for names nobody owns yet (publish
    /// uploads before it claims the name), counting those still stored and not referenced by a
    /// published version; kept in the index, so across restarts. Uploads for a name the signer owns
    /// are not counted.
    /// </summary>
    public long UnclaimedUploadBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>How many packages one address may have stored for names nobody owns yet, counted as <see cref="UnclaimedUploadBytes"/> is.</summary>
    public int UnclaimedUploadPackages { get; init; } = 16;
}
