namespace Modulus.Registry.Index;

/// <summary>
/// Where the index finds the description and tags of a published version: the chain records only
/// a content hash, so the registry service answers from the module.json of the stored package.
/// </summary>
public interface IPackageMetadataSource
{
    /// <summary>The metadata of the package with this sha256 (64 lowercase hex digits), or null when the package is not at hand.</summary>
    PackageMetadata? Find(string sha256Hex);
}
