namespace Modulus.Registry.Index;

/// <summary>How <see cref="RegistryIndexerService"/> follows the chain.</summary>
/// <remarks>The index file is not an option here: the host opens one <see cref="RegistryIndex"/> and shares it with the gRPC service that reads it.</remarks>
public sealed record RegistryIndexerOptions
{
    /// <summary>How often to look for new blocks once caught up.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Blocks per log query while catching up; see <see cref="ChainFollowerOptions.BatchBlocks"/>.</summary>
    public int BatchBlocks { get; init; } = 2_000;

    /// <summary>How deep a block must be before it is indexed; see <see cref="ChainFollowerOptions.Confirmations"/>.</summary>
    public int Confirmations { get; init; }
}
