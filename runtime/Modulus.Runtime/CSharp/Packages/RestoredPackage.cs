namespace Modulus.Runtime.CSharp.Packages;

/// <summary>One restored package of a module's dependency closure.</summary>
/// <param name="Id">The package id as the package spells it.</param>
/// <param name="Version">The normalized version.</param>
/// <param name="Directory">The package's extracted folder in the cache.</param>
/// <param name="CompileAssemblies">Full paths of the assemblies to compile against (ref/, else lib/, for the chosen framework).</param>
/// <param name="RuntimeAssemblies">
/// Full paths of the assemblies to load at run time: lib/ for the chosen framework, or
/// runtimes/&lt;rid&gt;/lib/ where the package has them for this platform (they replace lib/, as in NuGet).
/// </param>
/// <param name="NativeLibraries">Full paths of the native libraries of runtimes/&lt;rid&gt;/native/ for this platform.</param>
internal sealed record RestoredPackage(
    string Id,
    string Version,
    string Directory,
    IReadOnlyList<string> CompileAssemblies,
    IReadOnlyList<string> RuntimeAssemblies,
    IReadOnlyList<string> NativeLibraries);
