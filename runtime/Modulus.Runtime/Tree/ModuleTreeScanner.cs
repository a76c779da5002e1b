using Modulus.Modules;

namespace Modulus.Runtime.Tree;

/// <summary>A module folder found in the tree, with its manifest.</summary>
/// <param name="Manifest">The validated manifest.</param>
/// <param name="Name">The name it serves as: the manifest's, else its path in the tree.</param>
/// <param name="Directory">The module's folder (absolute).</param>
/// <param name="Fingerprint">Changes whenever any of the module's files changes.</param>
public sealed record ModuleSource(ModuleManifest Manifest, string Name, string Directory, string Fingerprint)
{
    /// <summary>The path of the manifest file.</summary>
    public string ManifestPath => Path.Combine(Directory, ModuleManifest.FileName);
}

/// <summary>What a scan of the tree found: the modules to serve and the folders at fault.</summary>
public sealed record TreeScan(IReadOnlyList<ModuleSource> Modules, IReadOnlyList<ModuleFault> Faults);

/// <summary>Finds every <c>module.json</c> below a root and reads it.</summary>
internal static class ModuleTreeScanner
{
    public static TreeScan Scan(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Module tree \"{root}\" does not exist; pass a folder of modules (each with a module.json).");
        }

        var modules = new List<ModuleSource>();
        var faults = new List<ModuleFault>();
        var byName = new Dictionary<string, ModuleSource>(StringComparer.Ordinal);

        foreach (var directory in FindModuleDirectories(root))
        {
            var manifestPath = Path.Combine(directory, ModuleManifest.FileName);
            ModuleManifest manifest;
            string fingerprint;
            try
            {
                manifest = ModuleManifestReader.Read(directory);
                fingerprint = ModuleFiles.Fingerprint(directory);
            }
            catch (ModuleManifestException ex)
            {
                faults.Add(new ModuleFault(ex.Path, ex.Message));
                continue;
            }
            catch (ModulePackageException ex)
            {
                faults.Add(new ModuleFault(directory, ex.Message));
                continue;
            }
            catch (IOException ex)
            {
                faults.Add(new ModuleFault(manifestPath, $"cannot be read: {ex.Message}"));
                continue;
            }

            string name;
            if (manifest.Name is { } declared)
            {
                name = declared.Value;
            }
            else if (!ModuleName.TryParse(DefaultName(root, directory), out var fromPath, out var error))
            {
                faults.Add(new ModuleFault(manifestPath, $"{error} (the name comes from the folder's path: rename the folder, or set \"name\" in module.json)"));
                continue;
            }
            else
            {
                name = fromPath.Value;
            }

            if (byName.TryGetValue(name, out var first))
            {
                faults.Add(new ModuleFault(manifestPath, $"name \"{name}\" is already served by {first.ManifestPath}; rename one of them (\"name\" in module.json)"));
                continue;
            }

            var source = new ModuleSource(manifest, name, directory, fingerprint);
            byName[name] = source;
            modules.Add(source);
        }

        return new TreeScan(modules, faults);
    }

    /// <summary>The dotted name a folder's path gives: <c>text/embed</c> serves as <c>text.embed</c>.</summary>
    public static string DefaultName(string root, string directory)
    {
        var relative = Path.GetRelativePath(root, directory);
        return relative == "." ? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)) : relative.Replace(Path.DirectorySeparatorChar, '.');
    }

    private static IEnumerable<string> FindModuleDirectories(string root)
    {
        // Breadth-first in ordinal order, so "the first of two modules with one name" is well defined.
        var pending = new Queue<string>();
        pending.Enqueue(root);
        while (pending.Count > 0)
        {
            var directory = pending.Dequeue();
            if (File.Exists(Path.Combine(directory, ModuleManifest.FileName)))
            {
                yield return directory;
            }

            string[] children;
            try
            {
                children = Directory.GetDirectories(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(children, StringComparer.Ordinal);
            foreach (var child in children)
            {
                if (!ModuleFiles.IsIgnoredDirectory(Path.GetFileName(child)))
                {
                    pending.Enqueue(child);
                }
            }
        }
    }
}
