using System.Formats.Tar;
using System.Text.Json;

namespace Modulus.Registry.Packaging;

/// <summary>
/// Packs a module folder into the bytes whose sha256 is published on chain, and unpacks them
/// again after checking that hash.
/// </summary>
/// <remarks>
/// <para>
/// A package is a POSIX ustar archive, uncompressed, built so that its bytes depend on the files'
/// names and contents alone: entries in ordinal path order, modification time 0, owner 0:0 with no
/// user or group names, mode 0644 (0755 when the file is executable). Two machines that pack the
/// same folder get the same hash, which is what lets a host prove that the folder it serves is the
/// published version. Compression is left out on purpose: deflate output differs between zlib
/// versions, which would break that; module sources are small.
/// </para>
/// <para>
/// The files are those the runtime loads: hidden files and folders, build output (bin, obj),
/// caches (__pycache__, node_modules, *.pyc) and nested modules (folders with their own
/// module.json) are left out. Symbolic links are refused rather than followed, so a package never
/// carries a file from outside its folder.
/// </para>
/// </remarks>
public static class ModulePackage
{
    /// <summary>The manifest every package has at its root.</summary>
    public const string ManifestFile = "module.json";

    private static readonly HashSet<string> IgnoredDirectories = new(StringComparer.Ordinal) { "bin", "obj", "__pycache__", "node_modules" };
    private static readonly DateTimeOffset FixedTime = DateTimeOffset.UnixEpoch;
    private const UnixFileMode RegularMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ExecutableMode = RegularMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Packs a module folder.</summary>
    /// <exception cref="InvalidPackageException">No or invalid module.json, a symbolic link, or a path too long for the archive.</exception>
    public static PackedModule Pack(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new InvalidPackageException($"{root} does not exist; pass a module's folder.");
        }

        var manifestPath = Path.Combine(root, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new InvalidPackageException($"{root} has no {ManifestFile}; pass a module's folder (`modulus new NAME` makes one).");
        }

        var manifest = ParseManifest(File.ReadAllBytes(manifestPath), manifestPath);
        var files = new List<string>();
        Walk(root, string.Empty, files, isRoot: true);
        files.Sort(StringComparer.Ordinal);

        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var path = Path.Combine(root, file);
                var entry = new UstarTarEntry(TarEntryType.RegularFile, file)
                {
                    ModificationTime = FixedTime,
                    Mode = IsExecutable(path) ? ExecutableMode : RegularMode,
                    Uid = 0,
                    Gid = 0,
                    UserName = string.Empty,
                    GroupName = string.Empty,
                };
                using var content = File.OpenRead(path);
                entry.DataStream = content;
                try
                {
                    writer.WriteEntry(entry);
                }
                catch (ArgumentException ex)
                {
                    throw new InvalidPackageException($"{path}: {ex.Message} A package keeps paths of up to 255 bytes; shorten it.", ex);
                }
            }
        }

        var bytes = buffer.ToArray();
        return new PackedModule(bytes, ContentHash.Of(bytes), manifest, files);
    }

    /// <summary>
    /// Checks the package against <paramref name="expectedSha256"/>, then unpacks it into
    /// <paramref name="directory"/>: first into a sibling folder, then moved into place, so the target
    /// is never left half-written.
    /// </summary>
    /// <param name="package">The package bytes.</param>
    /// <param name="expectedSha256">The hash they must have (from the chain).</param>
    /// <param name="directory">The module folder to create.</param>
    /// <param name="overwrite">Replace the folder when it exists; otherwise an existing folder is an error.</param>
    /// <exception cref="PackageHashMismatchException">The bytes are not the expected ones; nothing is written.</exception>
    /// <exception cref="InvalidPackageException">Not a module package (bad archive, unsafe path, no module.json); nothing is written.</exception>
    /// <exception cref="IOException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    public static UnpackedModule Unpack(byte[] package, string expectedSha256, string directory, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentException.ThrowIfNullOrEmpty(expectedSha256);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var actual = ContentHash.Of(package);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new PackageHashMismatchException(expectedSha256.ToLowerInvariant(), actual);
        }

        var target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && !overwrite)
        {
            throw new IOException($"{target} already exists; remove it, or replace it (--force).");
        }

        var entries = Read(package);
        if (!entries.ContainsKey(ManifestFile))
        {
            throw new InvalidPackageException($"the package has no {ManifestFile} at its root; it is not a module package.");
        }

        var parent = Path.GetDirectoryName(target) ?? throw new IOException($"{target} has no parent folder.");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.unpacking-{Guid.NewGuid():N}");
        try
        {
            foreach (var (name, (content, mode)) in entries)
            {
                var path = Path.Combine(staging, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, content);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, (mode & AnyExecute) != 0 ? ExecutableMode : RegularMode);
                }
            }

            if (Directory.Exists(target))
            {
                var previous = Path.Combine(parent, $".{Path.GetFileName(target)}.replaced-{Guid.NewGuid():N}");
                Directory.Move(target, previous);
                Directory.Move(staging, target);
                Directory.Delete(previous, recursive: true);
            }
            else
            {
                Directory.Move(staging, target);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return new UnpackedModule(target, [.. entries.Keys]);
    }

    /// <summary>The manifest inside package bytes; null when they are not a readable module package.</summary>
    public static PackageManifest? ReadManifest(byte[] package)
    {
        ArgumentNullException.ThrowIfNull(package);
        try
        {
            return Read(package).TryGetValue(ManifestFile, out var manifest) ? ParseManifest(manifest.Content, ManifestFile) : null;
        }
        catch (InvalidPackageException)
        {
            return null;
        }
    }

    /// <summary>Every regular file of an archive, by safe relative path; anything else is refused.</summary>
    private static SortedDictionary<string, (byte[] Content, UnixFileMode Mode)> Read(byte[] package)
    {
        var entries = new SortedDictionary<string, (byte[], UnixFileMode)>(StringComparer.Ordinal);
        try
        {
            using var reader = new TarReader(new MemoryStream(package, writable: false));
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.Directory)
                {
                    continue;
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    throw new InvalidPackageException($"the package entry \"{entry.Name}\" is a {entry.EntryType}; a module package holds regular files only.");
                }

                var name = SafeRelativePath(entry.Name);
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                if (!entries.TryAdd(name, (content.ToArray(), entry.Mode)))
                {
                    throw new InvalidPackageException($"the package holds \"{name}\" twice.");
                }
            }
        }
        // TarReader also reports malformed headers as NotSupportedException (e.g. a GNU sparse entry),
        // OverflowException (a base-256 number too large) and ArgumentException (a size past the end
        // of the buffer); without them here a corrupt package escaped as an undocumented exception
        // and ReadManifest threw instead of returning null.
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException
            or NotSupportedException or OverflowException or ArgumentException)
        {
            throw new InvalidPackageException($"the package is not a readable tar archive: {ex.Message}", ex);
        }

        return entries;
    }

    /// <summary>An archive path that stays inside the folder it is unpacked into.</summary>
    private static string SafeRelativePath(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (name.StartsWith('/') || name.Contains('\\') || name.Contains('\0') || parts.Length == 0
            || parts.Any(p => p is "." or ".." || p.StartsWith('.')))
        {
            throw new InvalidPackageException($"the package entry \"{name}\" is not a plain relative path inside the module; refusing to unpack it.");
        }

        return string.Join('/', parts);
    }

    private static PackageManifest ParseManifest(byte[] json, string where)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidPackageException($"{where} is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidPackageException($"{where} must hold a JSON object.");
        }

        var version = Text(root, "version", where);
        if (string.IsNullOrWhiteSpace(version))
        {
            throw new InvalidPackageException($"{where} has no \"version\"; add one to publish, e.g. \"version\": \"1.0.0\".");
        }

        var tags = new List<string>();
        if (root.TryGetProperty("tags", out var tagArray))
        {
            if (tagArray.ValueKind != JsonValueKind.Array || tagArray.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
            {
                throw new InvalidPackageException($"{where}: \"tags\" must be an array of strings.");
            }

            tags.AddRange(tagArray.EnumerateArray().Select(t => t.GetString()!));
        }

        return new PackageManifest(version, Text(root, "language", where) ?? "csharp", Text(root, "description", where) ?? string.Empty, tags);
    }

    private static string? Text(JsonElement root, string property, string where)
    {
        if (!root.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new InvalidPackageException($"{where}: \"{property}\" must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}.");
    }

    private static void Walk(string directory, string prefix, List<string> files, bool isRoot)
    {
        if (!isRoot && File.Exists(Path.Combine(directory, ManifestFile)))
        {
            // A nested module is a package of its own.
            return;
        }

        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
            {
                throw new InvalidPackageException($"{entry.FullName} is a symbolic link; a package holds the module's own files only. Copy the file in instead.");
            }

            var name = entry.Name;
            if (name.StartsWith('.'))
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                if (!IgnoredDirectories.Contains(name))
                {
                    Walk(entry.FullName, prefix + name + "/", files, isRoot: false);
                }
            }
            else if (!name.EndsWith(".pyc", StringComparison.Ordinal))
            {
                files.Add(prefix + name);
            }
        }
    }

    private static bool IsExecutable(string path) => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & AnyExecute) != 0;
}
