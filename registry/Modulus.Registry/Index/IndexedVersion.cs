namespace Modulus.Registry.Index;

/// <summary>A published version of a module.</summary>
/// <param name="Version">The semantic version.</param>
/// <param name="ContentHash">The package's sha256, 64 lowercase hex digits.</param>
/// <param name="PackageUri">Where the publisher said the package is.</param>
/// <param name="PublishedBlock">The block it was published in.</param>
/// <param name="Deprecated">Whether the owner deprecated it.</param>
/// <param name="DeprecationReason">The owner's reason; null unless deprecated.</param>
public sealed record IndexedVersion(string Version, string ContentHash, string PackageUri, long PublishedBlock, bool Deprecated, string? DeprecationReason);
