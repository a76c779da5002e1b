namespace Modulus.Registry.Index;

/// <summary>NAME[@VERSION] resolved to what an installer fetches and who serves it.</summary>
/// <param name="Name">The module.</param>
/// <param name="Version">The version asked for, or the one picked (see <see cref="RegistryIndex.Resolve"/>).</param>
/// <param name="ContentHash">The package's sha256, 64 lowercase hex digits; verify the download against it.</param>
/// <param name="PackageUri">Where the publisher said the package is.</param>
/// <param name="Deprecated">True only when a deprecated version was asked for by number.</param>
/// <param name="Hosts">The hosts announcing this version.</param>
public sealed record ResolvedModule(string Name, string Version, string ContentHash, string PackageUri, bool Deprecated, IReadOnlyList<IndexedHost> Hosts);
