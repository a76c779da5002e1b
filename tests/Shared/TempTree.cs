namespace Modulus.Testing;

/// <summary>A module tree in a temporary folder, removed when disposed.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "modulus-tests", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(Root);
        CacheDirectory = Path.Combine(Root, ".cache");
    }

    public string Root { get; }

    /// <summary>A compile cache private to this tree, so tests never share or pollute one.</summary>
    public string CacheDirectory { get; }

    /// <summary>Writes a file below the root, creating folders on the way.</summary>
    public string Write(string relativePath, string contents)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>A C# module folder with a manifest and one source file.</summary>
    public string AddCSharp(string folder, string source, string manifestExtra = "", string version = "1.0.0")
    {
        Write($"{folder}/module.json", $$"""{ "version": "{{version}}", "language": "csharp", "entry": "Module.cs"{{manifestExtra}} }""");
        return Write($"{folder}/Module.cs", source);
    }

    /// <summary>A Python module folder with a manifest and <c>module.py</c>.</summary>
    public string AddPython(string folder, string source, string manifestExtra = "")
    {
        Write($"{folder}/module.json", $$"""{ "version": "1.0.0", "language": "python", "entry": "module.py"{{manifestExtra}} }""");
        return Write($"{folder}/module.py", source);
    }

    /// <summary>Copies a module folder into the tree under another name: its manifest's "name" is rewritten.</summary>
    /// <returns>The copy's folder.</returns>
    public string CopyAs(string sourceDirectory, string folder, string name, Action<System.Text.Json.Nodes.JsonObject>? edit = null)
    {
        CopyFrom(sourceDirectory, folder);
        var manifestPath = Path.Combine(Root, folder, "module.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["name"] = name;
        manifest.Remove("$schema");
        edit?.Invoke(manifest);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        return Path.Combine(Root, folder);
    }

    /// <summary>Copies a folder of the repository (e.g. modules/text/tokenize) into the tree.</summary>
    public void CopyFrom(string sourceDirectory, string folder)
    {
        foreach (var file in Directory.EnumerateFiles(sourceDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sourceDirectory, file);
            if (relative.Contains("__pycache__", StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(Root, folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
