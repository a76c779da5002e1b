using System.Security.Cryptography;
using System.Text;

namespace Modulus.Modules;

/// <summary>
/// The files that make up a module folder: the one walk the runtime loads from, the package is
/// made of and the content hash covers. Left out: hidden files and folders (a name starting with
/// <c>.</c>), build output and caches (<c>bin/</c>, <c>obj/</c>, <c>__pycache__/</c>,
/// <c>node_modules/</c>, <c>*.pyc</c>) and nested modules (folders with a <c>module.json</c> of
/// their own). A symbolic link is refused, everywhere: a host serves exactly what it could publish,
/// and a package never carries a file from outside its folder.
/// </summary>
public static class ModuleFiles
{
    private static readonly HashSet<string> IgnoredDirectories = new(StringComparer.Ordinal) { "bin", "obj", "__pycache__", "node_modules" };

    /// <summary>Whether a folder is never part of a module (build output, caches, hidden folders).</summary>
    public static bool IsIgnoredDirectory(string name) => name.StartsWith('.') || IgnoredDirectories.Contains(name);

    /// <summary>Whether a file is never part of a module (hidden, compiled Python).</summary>
    public static bool IsIgnoredFile(string name) => name.StartsWith('.') || name.EndsWith(".pyc", StringComparison.Ordinal);

    /// <summary>
    /// The module's files as paths relative to its folder with '/' separators, in the package's
    /// order: ordinal order of their UTF-8 bytes.
    /// </summary>
    /// <exception cref="ModulePackageException">A symbolic link is in the folder.</exception>
    public static IReadOnlyList<string> Enumerate(string directory)
    {
        var root = Path.GetFullPath(directory);
        var files = new List<string>();
        Walk(root, string.Empty, files, isRoot: true);
        files.Sort(Utf8Order);
        return files;
    }

    /// <summary>
    /// A cheap stamp of the files' names, sizes and write times: it changes when any file changes,
    /// and costs no read of their contents. For noticing edits; the content hash is the package's.
    /// </summary>
    /// <exception cref="ModulePackageException">A symbolic link is in the folder.</exception>
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

    /// <summary>Orders paths by their UTF-8 bytes, as <c>LC_ALL=C sort</c> does.</summary>
    public static int Utf8Order(string? left, string? right)
    {
        if (left is null || right is null)
        {
            return left is null ? (right is null ? 0 : -1) : 1;
        }

        // UTF-16 ordinal order equals UTF-8 byte order except around surrogates; compare bytes to be exact.
        return Encoding.UTF8.GetBytes(left).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(right));
    }

    private static void Walk(string directory, string prefix, List<string> files, bool isRoot)
    {
        if (!isRoot && File.Exists(Path.Combine(directory, ModuleManifest.FileName)))
        {
            // A nested module is a module of its own.
            return;
        }

        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            var name = entry.Name;
            if (entry is DirectoryInfo ? IsIgnoredDirectory(name) : IsIgnoredFile(name))
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                throw new ModulePackageException($"{entry.FullName} is a symbolic link; a module holds its own files only (so that what is served is what can be published): copy the file in instead");
            }

            if (entry is DirectoryInfo)
            {
                Walk(entry.FullName, prefix + name + "/", files, isRoot: false);
            }
            else
            {
                files.Add(prefix + name);
            }
        }
    }
}

/// <summary>A module folder that cannot be packed, or package bytes that are not a module package; the message says why.</summary>
public sealed class ModulePackageException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>Package bytes whose sha256 is not the one they were supposed to have: nothing was unpacked.</summary>
/// <param name="expected">The hash they should have (as recorded on chain).</param>
/// <param name="actual">The hash of the bytes received.</param>
public sealed class PackageHashMismatchException(string expected, string actual)
    : Exception($"the package has sha256 {actual}, but the chain records {expected} for it: it was altered or corrupted in the store or on the way; nothing was installed")
{
    /// <summary>The hash the package should have.</summary>
    public string Expected { get; } = expected;

    /// <summary>The hash of the bytes received.</summary>
    public string Actual { get; } = actual;
}
