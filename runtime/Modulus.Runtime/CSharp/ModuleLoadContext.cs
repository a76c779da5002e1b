using System.Reflection;
using System.Runtime.Loader;

namespace Modulus.Runtime.CSharp;

/// <summary>
/// A collectible load context for one load of one module: a reload unloads it and frees the old
/// code. The module's restored packages come first (<paramref name="packageAssemblies"/>: simple
/// name to path), except for the SDK and what it references; assemblies the host already has (the SDK
/// above all, so that <c>Module</c> is one type) come from the default context; others are looked up
/// in the module's folder. A <c>DllImport</c> finds the native libraries of the module's packages
/// (<paramref name="nativeLibraries"/>: file name to path).
/// </summary>
internal sealed class ModuleLoadContext(
    string name,
    string moduleDirectory,
    IReadOnlyDictionary<string, string>? packageAssemblies = null,
    IReadOnlyDictionary<string, string>? nativeLibraries = null) : AssemblyLoadContext(name, isCollectible: true)
{
    // The SDK's types cross the boundary between host and module, so neither it nor the assemblies in
    // its signatures may be replaced by a package's copy.
    private static readonly HashSet<string> SharedWithHost = typeof(Modulus.Sdk.Module).Assembly.GetReferencedAssemblies()
        .Select(a => a.Name!)
        .Append(typeof(Modulus.Sdk.Module).Assembly.GetName().Name!)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // A module's own packages win over the host's copies: the module was compiled against them.
        // The package cache is never rewritten in place, so loading from its files (not a copy) is safe.
        if (packageAssemblies is not null && assemblyName.Name is { } simpleName && !SharedWithHost.Contains(simpleName)
            && packageAssemblies.TryGetValue(simpleName, out var packagePath))
        {
            return LoadFromAssemblyPath(packagePath);
        }

        if (Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(assemblyName, a.GetName())))
        {
            return null;
        }

        var local = Directory.EnumerateFiles(moduleDirectory, assemblyName.Name + ".dll", SearchOption.AllDirectories).FirstOrDefault();
        if (local is not null)
        {
            using var stream = File.OpenRead(local);
            return LoadFromStream(stream);
        }

        return null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        if (nativeLibraries is not null)
        {
            // The names a DllImport may use for one file: "e_sqlite3" for libe_sqlite3.so, e_sqlite3.dll, libe_sqlite3.dylib.
            foreach (var candidate in (string[])[unmanagedDllName, $"lib{unmanagedDllName}.so", $"{unmanagedDllName}.so", $"{unmanagedDllName}.dll", $"lib{unmanagedDllName}.dylib"])
            {
                if (nativeLibraries.TryGetValue(candidate, out var path))
                {
                    return LoadUnmanagedDllFromPath(path);
                }
            }
        }

        return IntPtr.Zero;
    }
}
