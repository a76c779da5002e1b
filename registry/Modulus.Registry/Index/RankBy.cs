namespace Modulus.Registry.Index;

/// <summary>How search results are ordered; ties are always broken by name.</summary>
public enum RankBy
{
    /// <summary>Most total stake first.</summary>
    Stake,

    /// <summary>Highest up weight minus down weight first.</summary>
    Votes,

    /// <summary>Most distinct hosts first.</summary>
    Hosts,

    /// <summary>By name (ordinal).</summary>
    Name,
}
