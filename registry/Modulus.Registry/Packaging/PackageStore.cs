using Modulus.Modules;
namespace Modulus.Registry.Packaging;

/// <summary>
/// Packages on disk, addressed by their sha256: <c>ROOT/sha256/ab/abcdef…</c>. A package is written
/// to a temporary file and renamed into place, so a reader never sees half of one and a crash
/// leaves none.
/// </summary>
public sealed class PackageStore(string root)
{
    /// <summary>The store's folder.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Stores a package (again, harmlessly, when it is there already).</summary>
    /// <returns>Its sha256, 64 lowercase hex digits.</returns>
    public async Task<string> PutAsync(byte[] package, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(package);
        var hex = ContentHash.Of(package);
        var path = PathOf(hex);
        if (File.Exists(path) && new FileInfo(path).Length == package.Length)
        {
            return hex;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + $".{Guid.NewGuid():N}.partial";
        try
        {
            await File.WriteAllBytesAsync(temporary, package, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return hex;
    }

    /// <summary>Opens a stored package for reading; null when the store does not have it.</summary>
    /// <exception cref="FormatException"><paramref name="sha256Hex"/> is not 64 hex digits.</exception>
    public Stream? OpenRead(string sha256Hex)
    {
        var path = PathOf(sha256Hex);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>True when the store holds the package.</summary>
    /// <exception cref="FormatException"><paramref name="sha256Hex"/> is not 64 hex digits.</exception>
    public bool Contains(string sha256Hex) => File.Exists(PathOf(sha256Hex));

    /// <summary>Every stored package: its sha256, size and when it was stored.</summary>
    public IEnumerable<StoredPackage> Enumerate()
    {
        var folder = Path.Combine(Root, "sha256");
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var hex = Path.GetFileName(file);
            if (ContentHash.IsValid(hex))
            {
                var info = new FileInfo(file);
                yield return new StoredPackage(hex, info.Length, info.LastWriteTimeUtc);
            }
        }
    }

    /// <summary>
    /// Deletes the packages that <paramref name="isReferenced"/> says no version refers to, except
    /// those stored less than <paramref name="minAge"/> ago: publish uploads before its version is
    /// on chain (and indexed), so a fresh package may be referenced a moment later.
    /// </summary>
    /// <param name="isReferenced">True for a sha256 a published version names.</param>
    /// <param name="minAge">Packages younger than this are kept.</param>
    /// <param name="dryRun">Only report what would be deleted.</param>
    /// <returns>The packages deleted (or that would be).</returns>
    public IReadOnlyList<StoredPackage> Prune(Func<string, bool> isReferenced, TimeSpan minAge, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(isReferenced);
        var cutoff = DateTime.UtcNow - minAge;
        var pruned = new List<StoredPackage>();
        foreach (var package in Enumerate().ToArray())
        {
            if (isReferenced(package.Sha256) || package.StoredUtc > cutoff)
            {
                continue;
            }

            if (!dryRun)
            {
                File.Delete(PathOf(package.Sha256));
            }

            pruned.Add(package);
        }

        return pruned;
    }

    /// <summary>Where a package is (or would be) stored.</summary>
    /// <exception cref="FormatException"><paramref name="sha256Hex"/> is not 64 hex digits.</exception>
    public string PathOf(string sha256Hex)
    {
        if (!ContentHash.IsValid(sha256Hex))
        {
            throw new FormatException($"\"{sha256Hex}\" is not a sha256: expected 64 hex digits.");
        }

        var hex = sha256Hex.ToLowerInvariant();
        return Path.Combine(Root, "sha256", hex[..2], hex);
    }
}

/// <summary>A package in the store.</summary>
/// <param name="Sha256">Its content hash.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="StoredUtc">When it was written.</param>
public sealed record StoredPackage(string Sha256, long Size, DateTime StoredUtc);
