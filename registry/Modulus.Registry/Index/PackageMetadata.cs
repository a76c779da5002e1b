namespace Modulus.Registry.Index;

/// <summary>What a package's module.json says about the module, for search.</summary>
/// <param name="Description">The one line for search.</param>
/// <param name="Tags">Search tags.</param>
/// <param name="Price">For a paid module, its price per call in $GPT as an exact decimal ("0.001"); null for every other.</param>
public sealed record PackageMetadata(string Description, IReadOnlyList<string> Tags, string? Price = null);
