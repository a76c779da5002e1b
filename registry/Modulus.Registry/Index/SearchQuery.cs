namespace Modulus.Registry.Index;

/// <summary>A search of the index.</summary>
/// <param name="Text">Matches a substring of the name or the description, ignoring case; null or blank matches every module.</param>
/// <param name="Tag">Matches one of the module's tags exactly; null matches every module.</param>
/// <param name="Rank">The order of the results.</param>
/// <param name="Limit">The most results to return.</param>
/// <param name="Offset">How many matching results to skip, for paging.</param>
public sealed record SearchQuery(string? Text, string? Tag, RankBy Rank = RankBy.Stake, int Limit = 20, int Offset = 0);
