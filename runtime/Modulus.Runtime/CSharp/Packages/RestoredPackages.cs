namespace Modulus.Runtime.CSharp.Packages;

/// <summary>The outcome of restoring one module's packages: the closure, its assemblies, and what the restore did.</summary>
/// <param name="Packages">Every package of the closure that brings assemblies or was restored, ordered by id.</param>
/// <param name="Log">What was taken from the cache, copied, downloaded, or left to the shared framework.</param>
/// <param name="FromCache">True when the whole set came from the restore set file in the cache, with no resolution and no network.</param>
internal sealed record RestoredPackages(IReadOnlyList<RestoredPackage> Packages, IReadOnlyList<PackageRestoreLogEntry> Log, bool FromCache)
{
    /// <summary>No packages.</summary>
    public static RestoredPackages Empty { get; } = new([], [], FromCache: true);

    /// <summary>Full paths of every compile-time reference assembly of the closure.</summary>
    public IReadOnlyList<string> CompileAssemblies => Packages.SelectMany(p => p.CompileAssemblies).ToArray();

    /// <summary>
    /// The run-time assemblies by simple assembly name (the file name without <c>.dll</c>), as a load
    /// context resolves them. When two packages carry the same file, the first by id wins.
    /// </summary>
    public IReadOnlyDictionary<string, string> RuntimeAssemblies
    {
        get
        {
            var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var path in Packages.SelectMany(p => p.RuntimeAssemblies))
            {
                byName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
            }

            return byName;
        }
    }

    /// <summary>The native libraries by file name (<c>libe_sqlite3.so</c>), as a load context resolves a <c>DllImport</c>.</summary>
    public IReadOnlyDictionary<string, string> NativeLibraries
    {
        get
        {
            var byName = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var path in Packages.SelectMany(p => p.NativeLibraries))
            {
                byName.TryAdd(Path.GetFileName(path), path);
            }

            return byName;
        }
    }
}
