using System.Formats.Tar;
using System.Security.Cryptography;

namespace Modulus.Modules;

/// <summary>
/// A module folder packed into the bytes whose sha256 is the module's content hash, the hash the
/// chain records, <c>modulus info</c> shows and <c>serve --announce</c> compares.
/// </summary>
/// <remarks>
/// <para>
/// The format, precisely (the README gives the same with a GNU tar recipe that reproduces it): a
/// POSIX ustar archive, uncompressed, of the files <see cref="ModuleFiles"/> lists, in the ordinal
/// order of their UTF-8 paths, regular-file entries only (no folder entries), each with mode 0644
/// (0755 when any execute bit is set), uid and gid 0 with no user or group names, mtime 0,
/// devmajor/devminor 0, a path longer than 100 bytes split into prefix and name at the last '/'
/// that fits; file data padded with zeros to 512 bytes; two zero blocks at the end, and no padding
/// to a larger record. Compression is left out on purpose: deflate output differs between zlib
/// versions, which would break reproducibility.
/// </para>
/// </remarks>
/// <param name="Bytes">The package.</param>
/// <param name="Sha256">Its content hash, 64 lowercase hex digits.</param>
/// <param name="Manifest">What its module.json says.</param>
/// <param name="Files">The packed files, relative paths with '/' separators, in archive order.</param>
public sealed record ModulePackage(byte[] Bytes, string Sha256, ModuleManifest Manifest, IReadOnlyList<string> Files)
{
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode RegularMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ExecutableMode = RegularMode | AnyExecute;

    /// <summary>The URI the chain records for a package: content-addressed, so any store can serve it.</summary>
    public string Uri => UriOf(Sha256);

    /// <summary>The package URI of a content hash: <c>sha256:HEX</c>.</summary>
    public static string UriOf(string sha256) => "sha256:" + sha256;

    /// <summary>Packs a module folder in memory.</summary>
    /// <exception cref="ModuleManifestException">No or invalid module.json.</exception>
    /// <exception cref="ModulePackageException">A symbolic link, a path too long for the archive, or an unreadable file.</exception>
    public static ModulePackage Pack(string directory)
    {
        var root = CheckFolder(directory);
        var manifest = ModuleManifestReader.Read(root);
        using var buffer = new MemoryStream();
        var files = Write(root, buffer);
        var bytes = buffer.ToArray();
        return new ModulePackage(bytes, ContentHash.Of(bytes), manifest, files);
    }

    /// <summary>The content hash of a module folder, streamed: the package is never held in memory.</summary>
    /// <exception cref="ModulePackageException">A symbolic link, a path too long for the archive, or an unreadable file.</exception>
    public static string HashOf(string directory)
    {
        var root = CheckFolder(directory);
        using var hashing = new HashingStream();
        Write(root, hashing);
        return hashing.HexDigest();
    }

    /// <summary>
    /// Checks the package against <paramref name="expectedSha256"/>, then unpacks it into
    /// <paramref name="directory"/>: first into a hidden sibling folder, then moved into place, so the
    /// target is never left half-written.
    /// </summary>
    /// <exception cref="PackageHashMismatchException">The bytes are not the expected ones; nothing is written.</exception>
    /// <exception cref="ModulePackageException">Not a module package (bad archive, unsafe path, no module.json); nothing is written.</exception>
    /// <exception cref="IOException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    public static IReadOnlyList<string> Unpack(byte[] package, string expectedSha256, string directory, bool overwrite)
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
        if (!entries.TryGetValue(ModuleManifest.FileName, out var manifestEntry))
        {
            throw new ModulePackageException($"the package has no {ModuleManifest.FileName} at its root; it is not a module package");
        }

        ModuleManifestReader.Parse(manifestEntry.Content, $"the package's {ModuleManifest.FileName}");
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

        return [.. entries.Keys];
    }

    /// <summary>The manifest inside package bytes.</summary>
    /// <exception cref="ModulePackageException">Not a readable module package.</exception>
    /// <exception cref="ModuleManifestException">Its module.json is invalid.</exception>
    public static ModuleManifest ReadManifest(byte[] package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return Read(package).TryGetValue(ModuleManifest.FileName, out var manifest)
            ? ModuleManifestReader.Parse(manifest.Content, $"the package's {ModuleManifest.FileName}")
            : throw new ModulePackageException($"the package has no {ModuleManifest.FileName} at its root; it is not a module package");
    }

    private static string CheckFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new ModulePackageException($"{root} does not exist; pass a module's folder");
        }

        return root;
    }

    private static IReadOnlyList<string> Write(string root, Stream output)
    {
        if (!File.Exists(Path.Combine(root, ModuleManifest.FileName)))
        {
            throw new ModulePackageException($"{root} has no {ModuleManifest.FileName}; pass a module's folder (`modulus new NAME` makes one)");
        }

        var files = ModuleFiles.Enumerate(root);
        var writer = new UstarWriter(output);
        foreach (var file in files)
        {
            var path = Path.Combine(root, file);
            try
            {
                using var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                writer.WriteFile(file, IsExecutable(path), content, content.Length);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ModulePackageException($"{path} cannot be read: {ex.Message}", ex);
            }
        }

        writer.Finish();
        return files;
    }

    /// <summary>Every regular file of an archive, by safe relative path; anything else is refused.</summary>
    private static SortedDictionary<string, (byte[] Content, UnixFileMode Mode)> Read(byte[] package)
    {
        var entries = new SortedDictionary<string, (byte[], UnixFileMode)>(Comparer<string>.Create(ModuleFiles.Utf8Order));
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
                    throw new ModulePackageException($"the package entry \"{ModuleName.Printable(entry.Name)}\" is a {entry.EntryType}; a module package holds regular files only");
                }

                var name = SafeRelativePath(entry.Name);
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                if (!entries.TryAdd(name, (content.ToArray(), entry.Mode)))
                {
                    throw new ModulePackageException($"the package holds \"{ModuleName.Printable(name)}\" twice");
                }
            }
        }
        // TarReader also reports malformed headers as NotSupportedException (a GNU sparse entry),
        // OverflowException (a base-256 number too large) and ArgumentException (a size past the end).
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException
            or NotSupportedException or OverflowException or ArgumentException)
        {
            throw new ModulePackageException($"the package is not a readable tar archive: {ex.Message}", ex);
        }

        // A file that is also another entry's folder ("a" and "a/b") cannot be unpacked: refused
        // here, as the package's fault, rather than as an IOException half-way through writing it.
        foreach (var name in entries.Keys)
        {
            for (var slash = name.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = name.IndexOf('/', slash + 1))
            {
                if (entries.ContainsKey(name[..slash]))
                {
                    throw new ModulePackageException($"the package holds \"{ModuleName.Printable(name[..slash])}\" both as a file and as the folder of \"{ModuleName.Printable(name)}\"; refusing to unpack it");
                }
            }
        }

        return entries;
    }

    /// <summary>An archive path that stays inside the folder it is unpacked into, and prints safely.</summary>
    private static string SafeRelativePath(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (name.StartsWith('/') || name.Contains('\\') || parts.Length == 0
            || parts.Any(p => p is "." or ".." || p.StartsWith('.') || p.Any(char.IsControl) || System.Text.Encoding.UTF8.GetByteCount(p) > 255))
        {
            throw new ModulePackageException($"the package entry \"{ModuleName.Printable(name)}\" is not a plain relative path inside the module (no '..', hidden or over-long parts, no control characters); refusing to unpack it");
        }

        return string.Join('/', parts);
    }

    private static bool IsExecutable(string path) => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & AnyExecute) != 0;

    /// <summary>A write-only stream that only hashes what is written to it.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public string HexDigest() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _hash.AppendData(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
