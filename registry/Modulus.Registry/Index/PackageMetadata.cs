namespace Modulus.Registry.Index;

/// <summary>What a package's module.json says about the module, for search.</summary>
public sealed record PackageMetadata(string Description, IReadOnlyList<string> Tags);
