using System.Security.Cryptography;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Packaging.Signing;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// The extracted packages of the module package cache, one folder per package and version
/// (<c>id/version/</c>, lower case). A folder appears only by an atomic rename of a complete
/// extraction, so a crash or a concurrent restore never leaves a half package where one is trusted;
/// what a crash leaves is a folder under <c>.tmp/</c>, which nothing reads.
/// </summary>
internal sealed class PackageFolderCache
{
    /// <summary>Written into a package folder before it is renamed into place: its presence marks a whole package.</summary>
    public const string MarkerFileName = ".modulus-package";

    private static readonly TimeSpan StaleTemporary = TimeSpan.FromHours(1);

    /// <summary>Uses (and creates on demand) the cache in <paramref name="root"/>.</summary>
    public PackageFolderCache(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    private string TemporaryRoot => Path.Combine(Root, ".tmp");

    /// <summary>The folder a package is (or would be) extracted to.</summary>
    public string PackageDirectory(PackageIdentity package) =>
        Path.Combine(Root, package.Id.ToLowerInvariant(), package.Version.ToNormalizedString().ToLowerInvariant());

    /// <summary>Whether the package is in the cache, whole.</summary>
    public bool Contains(PackageIdentity package) => File.Exists(Path.Combine(PackageDirectory(package), MarkerFileName));

    /// <summary>A fresh path under the cache's temporary folder (on the same volume, so a rename from it is atomic).</summary>
    public string NewTemporaryPath(string suffix)
    {
        Directory.CreateDirectory(TemporaryRoot);
        return Path.Combine(TemporaryRoot, $"{Guid.NewGuid():N}{suffix}");
    }

    /// <summary>
    /// Checks the .nupkg at <paramref name="nupkgPath"/> (it must be a readable package with the
    /// expected id and version, and if it is signed its content must match its signature) and
    /// extracts it into the cache. Returns the package's folder.
    /// </summary>
    /// <exception cref="PackageRestoreException">The file is not that package, or it is damaged.</exception>
    public async Task<string> AddAsync(PackageIdentity package, string nupkgPath, CancellationToken cancellationToken)
    {
        var target = PackageDirectory(package);
        var staging = NewTemporaryPath(string.Empty);
        try
        {
            string sha512;
            await using (var stream = File.OpenRead(nupkgPath))
            {
                sha512 = Convert.ToBase64String(await SHA512.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            }

            using (var reader = OpenVerified(package, nupkgPath))
            {
                await VerifySignatureAsync(package, reader, cancellationToken).ConfigureAwait(false);
                Directory.CreateDirectory(staging);
                var files = (await reader.GetFilesAsync(cancellationToken).ConfigureAwait(false)).Where(IsPayload).ToList();
                await reader.CopyFilesAsync(staging, files, (_, targetPath, fileStream) => Extract(staging, targetPath, fileStream), NuGet.Common.NullLogger.Instance, cancellationToken).ConfigureAwait(false);
            }

            await File.WriteAllTextAsync(Path.Combine(staging, MarkerFileName), $"{package.Id} {package.Version.ToNormalizedString()} sha512:{sha512}\n", cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (Contains(package))
            {
                // Another restore put the same package in place first; theirs is as good as ours.
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // A folder without the marker: left by something other than this cache (the rename is
                // atomic, so not by an interrupted extraction). Replace it.
                Directory.Delete(target, recursive: true);
                Directory.Move(staging, target);
            }

            return target;
        }
        catch (InvalidDataException ex)
        {
            throw new PackageRestoreException(package.Id, package.Version.ToNormalizedString(),
                $"package \"{package.Id}\" {package.Version.ToNormalizedString()} is damaged ({ex.Message}); restore it again, or clear it from the global packages folder if it came from there", ex);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Removes what interrupted restores left in the temporary folder long ago.</summary>
    public void RemoveStaleTemporaries()
    {
        if (!Directory.Exists(TemporaryRoot))
        {
            return;
        }

        foreach (var entry in new DirectoryInfo(TemporaryRoot).EnumerateFileSystemInfos())
        {
            // Old entries only: a young one may belong to a restore running in another process.
            if (DateTime.UtcNow - entry.LastWriteTimeUtc < StaleTemporary)
            {
                continue;
            }

            try
            {
                if (entry is DirectoryInfo directory)
                {
                    directory.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
            catch (IOException)
            {
                // In use or already gone; the next restore tries again.
            }
        }
    }

    private static PackageArchiveReader OpenVerified(PackageIdentity package, string nupkgPath)
    {
        var reader = new PackageArchiveReader(nupkgPath);
        var identity = reader.GetIdentity();
        if (!string.Equals(identity.Id, package.Id, StringComparison.OrdinalIgnoreCase) || identity.Version != package.Version)
        {
            reader.Dispose();
            throw new PackageRestoreException(package.Id, package.Version.ToNormalizedString(),
                $"the file served as package \"{package.Id}\" {package.Version.ToNormalizedString()} is package \"{identity.Id}\" {identity.Version.ToNormalizedString()}; the source is inconsistent, so it was not used");
        }

        return reader;
    }

    private static async Task VerifySignatureAsync(PackageIdentity package, PackageArchiveReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.IsSignedAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            // The integrity check: the package's bytes are the ones the signature was made over. Trust in
            // the signer's certificate is NuGet's configuration's business (trustedSigners), not checked here.
            var signature = await reader.GetPrimarySignatureAsync(cancellationToken).ConfigureAwait(false);
            await reader.ValidateIntegrityAsync(signature!.SignatureContent, cancellationToken).ConfigureAwait(false);
        }
        catch (SignatureException ex)
        {
            throw new PackageRestoreException(package.Id, package.Version.ToNormalizedString(),
                $"package \"{package.Id}\" {package.Version.ToNormalizedString()} does not match its signature ({ex.Message}); it was not used", ex);
        }
    }

    private static bool IsPayload(string file) =>
        !file.EndsWith('/') // a folder entry, which some packers write
        && !file.StartsWith("_rels/", StringComparison.Ordinal)
        && !file.StartsWith("package/", StringComparison.Ordinal)
        && !string.Equals(file, "[Content_Types].xml", StringComparison.Ordinal)
        && !string.Equals(file, SigningSpecifications.V1.SignaturePath, StringComparison.Ordinal);

    private static string Extract(string staging, string targetPath, Stream source)
    {
        // NuGet resolves entry names against the destination; refuse anything that would land outside it.
        var full = Path.GetFullPath(targetPath);
        if (!full.StartsWith(staging + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"entry \"{targetPath}\" points outside the package");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var target = File.Create(full);
        source.CopyTo(target);
        return full;
    }
}
