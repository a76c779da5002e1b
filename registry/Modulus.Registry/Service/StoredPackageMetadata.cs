using Modulus.Registry.Index;
using Modulus.Registry.Packaging;

namespace Modulus.Registry.Service;

/// <summary>The description and tags of a published version, read from the module.json inside its stored package.</summary>
internal sealed class StoredPackageMetadata(PackageStore store) : IPackageMetadataSource
{
    public PackageMetadata? Find(string sha256Hex)
    {
        using var stream = store.OpenRead(sha256Hex);
        if (stream is null)
        {
            // Published from another store: the index still has its name, version and hash.
            return null;
        }

        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return ModulePackage.ReadManifest(buffer.ToArray()) is { } manifest
            ? new PackageMetadata(manifest.Description, manifest.Tags)
            : null;
    }
}
