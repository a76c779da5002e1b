using System.Security.Cryptography;
using System.Text;

namespace Modulus.Runtime.Tree;

/// <summary>The files that belong to one module folder, and hashes over them.</summary>
internal static class ModuleFiles
{
    private static readonly HashSet<string> IgnoredDirectories = new(StringComparer.Ordinal) { "bin", "obj", "__pycache__", "node_modules" };

    /// <summary>Whether a folder is never part of a module (build output, caches, hidden folders).</summary>
    public static bool IsIgnoredDirectory(string name) => name.StartsWith('.') || IgnoredDirectories.Contains(name);

    /// <summary>
    /// The module's files as paths relative to its folder, in ordinal order, with '/' separators.
    /// Hidden files, build output and nested modules (folders with their own module.json) are left out.
    /// </summary>
    public static IReadOnlyList<string> Enumerate(string directory)
    {
        var files = new List<string>();
        Walk(directory, string.Empty, files, isRoot: true);
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>A cheap hash of names, sizes and write times: it changes when any file changes.</summary>
    public static string Fingerprint(string directory)
    {
        var builder = new StringBuilder();
        foreach (var file in Enumerate(directory))
        {
            var info = new FileInfo(Path.Combine(directory, file));
            builder.Append(file).Append('\0').Append(info.Length).Append('\0').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    /// <summary>A hash of the names and contents of the given files (ordinal order), independent of times.</summary>
    public static string ContentHash(string directory, IEnumerable<string> relativeFiles, string? salt = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (salt is not null)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(salt + "\n"));
        }

        foreach (var file in relativeFiles.Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(Path.Combine(directory, file));
            hash.AppendData(Encoding.UTF8.GetBytes($"{file}\0{bytes.Length}\0"));
            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Walk(string directory, string prefix, List<string> files, bool isRoot)
    {
        if (!isRoot && File.Exists(Path.Combine(directory, ManifestReader.FileName)))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith('.') && !name.EndsWith(".pyc", StringComparison.Ordinal))
            {
                files.Add(prefix + name);
            }
        }

        foreach (var sub in Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(sub);
            if (!IsIgnoredDirectory(name))
            {
                Walk(sub, prefix + name + "/", files, isRoot: false);
            }
        }
    }
}
