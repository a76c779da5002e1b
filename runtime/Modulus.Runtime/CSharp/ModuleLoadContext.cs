using System.Reflection;
using System.Runtime.Loader;

namespace Modulus.Runtime.CSharp;

/// <summary>
/// A collectible load context for one load of one module: a reload unloads it and frees the old
/// code. Assemblies the host already has (the SDK above all, so that <c>Module</c> is one type)
/// come from the default context; others are looked up in the module's folder.
/// </summary>
internal sealed class ModuleLoadContext(string name, string moduleDirectory) : AssemblyLoadContext(name, isCollectible: true)
{
    protected override Assembly? Load(AssemblyName assemblyName)
    {
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
}
