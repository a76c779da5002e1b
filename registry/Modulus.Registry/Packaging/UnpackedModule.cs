namespace Modulus.Registry.Packaging;

/// <summary>A package unpacked into a module folder.</summary>
/// <param name="Directory">The module folder.</param>
/// <param name="Files">The files written, relative paths with '/' separators.</param>
public sealed record UnpackedModule(string Directory, IReadOnlyList<string> Files);
