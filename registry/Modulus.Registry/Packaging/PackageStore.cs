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
