namespace Modulus.Registry.Packaging;

/// <summary>A module folder packed for publishing.</summary>
/// <param name="Bytes">The package: an uncompressed ustar archive (see <see cref="ModulePackage"/>).</param>
/// <param name="Sha256Hex">Its content hash, 64 lowercase hex digits.</param>
/// <param name="Manifest">What its module.json says.</param>
/// <param name="Files">The packed files, relative paths with '/' separators, in archive order.</param>
public sealed record PackedModule(byte[] Bytes, string Sha256Hex, PackageManifest Manifest, IReadOnlyList<string> Files);
