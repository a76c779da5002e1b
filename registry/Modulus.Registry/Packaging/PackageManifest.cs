namespace Modulus.Registry.Packaging;

/// <summary>What a package's module.json says, as far as publishing and search need it.</summary>
/// <param name="Version">The semantic version that is published.</param>
/// <param name="Language">csharp or python.</param>
/// <param name="Description">One line for search; empty when module.json has none.</param>
/// <param name="Tags">Search tags; empty when module.json has none.</param>
public sealed record PackageManifest(string Version, string Language, string Description, IReadOnlyList<string> Tags);
