namespace Modulus.Registry.Index;

/// <summary>How <see cref="ChainFollower"/> reads the chain.</summary>
public sealed record ChainFollowerOptions
{
    /// <summary>Blocks per log query, and per index transaction. Halved for the rest of a catch-up whenever the node refuses a range.</summary>
    public int BatchBlocks { get; init; } = 2_000;

    /// <summary>
    /// How deep a block must be before it is indexed. 0 (the default) suits a development chain,
    /// whose blocks are final once mined; on a public chain a few blocks keep ordinary
    /// reorganizations out of the index. A deeper one is noticed anyway (see <see cref="ChainFollower"/>).
    /// </summary>
    public int Confirmations { get; init; }
}
