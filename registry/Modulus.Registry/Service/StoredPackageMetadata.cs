using Modulus.Modules;
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
        try
        {
            var manifest = ModulePackage.ReadManifest(buffer.ToArray());
            return new PackageMetadata(manifest.Description, manifest.Tags, manifest.Access.IsPaid ? GptAmount.ToDecimalString(manifest.Access.Price) : null);
        }
        catch (Exception ex) when (ex is ModulePackageException or ModuleManifestException)
        {
            // Stored bytes that are not a readable module package describe nothing.
            return null;
        }
    }
}
