using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NuGet.Frameworks;
using NuGet.Packaging.Core;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// The result of one restore set (the root packages and versions, for one framework) kept in the
/// cache as <c>sets/&lt;hash&gt;.json</c>, so that restoring the same set again reads one small file
/// and checks that the files it names exist: no resolution, no network.
/// </summary>
internal sealed class RestoreSetFile
{
    // Bump when the file's meaning changes: older files are then ignored and rewritten.
    private const int Format = 2;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly string _cacheRoot;

    /// <summary>The set file for <paramref name="roots"/> on <paramref name="framework"/> in the cache at <paramref name="cacheRoot"/>.</summary>
    public RestoreSetFile(string cacheRoot, NuGetFramework framework, IEnumerable<PackageIdentity> roots)
    {
        _cacheRoot = cacheRoot;
        Framework = framework.GetShortFolderName();
        // The platform picks runtimes/<rid>/ assets, so it is part of the set's identity.
        var canonical = new StringBuilder().Append(Framework).Append('\n').Append(RuntimeIdentifierChain.Current[0]).Append('\n');
        foreach (var root in roots.Select(r => $"{r.Id.ToLowerInvariant()}@{r.Version.ToNormalizedString().ToLowerInvariant()}").Order(StringComparer.Ordinal))
        {
            canonical.Append(root).Append('\n');
        }

        Key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))[..32];
        Path = System.IO.Path.Combine(cacheRoot, "sets", Key + ".json");
    }

    /// <summary>The set's key: a hash of the framework and the sorted <c>id@version</c> list.</summary>
    public string Key { get; }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    private string Framework { get; }

    /// <summary>The recorded result, if the file exists, is of this format and every file it names is still there; else null.</summary>
    public async Task<RestoredPackages?> TryReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        SetRecord? record;
        try
        {
            await using var stream = File.OpenRead(Path);
            record = await JsonSerializer.DeserializeAsync<SetRecord>(stream, Json, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null; // unreadable: restore again and overwrite it
        }

        if (record is null || record.Format != Format || record.Framework != Framework)
        {
            return null;
        }

        var packages = new List<RestoredPackage>();
        var log = new List<PackageRestoreLogEntry>();
        foreach (var package in record.Packages)
        {
            var directory = System.IO.Path.Combine(_cacheRoot, package.Directory);
            var compile = package.Compile.Select(f => System.IO.Path.Combine(directory, f)).ToArray();
            var runtime = package.Runtime.Select(f => System.IO.Path.Combine(directory, f)).ToArray();
            var native = package.Native.Select(f => System.IO.Path.Combine(directory, f)).ToArray();
            if (!File.Exists(System.IO.Path.Combine(directory, PackageFolderCache.MarkerFileName)) || !compile.Concat(runtime).Concat(native).All(File.Exists))
            {
                return null; // the cache was pruned by hand: restore again
            }

            packages.Add(new RestoredPackage(package.Id, package.Version, directory, compile, runtime, native));
            log.Add(new PackageRestoreLogEntry(package.Id, package.Version, PackageOrigin.Cache));
        }

        log.AddRange(record.SharedFramework.Select(p => new PackageRestoreLogEntry(p.Id, p.Version, PackageOrigin.SharedFramework)));
        return new RestoredPackages(packages, log, FromCache: true);
    }

    /// <summary>Records <paramref name="result"/>, atomically (a reader sees the old file or the new one, never a part).</summary>
    public async Task WriteAsync(RestoredPackages result, CancellationToken cancellationToken)
    {
        var record = new SetRecord(
            Format,
            Framework,
            result.Packages.Select(p => new PackageRecord(
                p.Id,
                p.Version,
                System.IO.Path.GetRelativePath(_cacheRoot, p.Directory),
                p.CompileAssemblies.Select(f => System.IO.Path.GetRelativePath(p.Directory, f)).ToArray(),
                p.RuntimeAssemblies.Select(f => System.IO.Path.GetRelativePath(p.Directory, f)).ToArray(),
                p.NativeLibraries.Select(f => System.IO.Path.GetRelativePath(p.Directory, f)).ToArray())).ToArray(),
            result.Log.Where(e => e.Origin == PackageOrigin.SharedFramework).Select(e => new SharedRecord(e.Id, e.Version)).ToArray());
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = $"{Path}.{Guid.NewGuid():N}.tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, record, Json, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    private sealed record SetRecord(int Format, string Framework, PackageRecord[] Packages, SharedRecord[] SharedFramework);

    private sealed record PackageRecord(string Id, string Version, string Directory, string[] Compile, string[] Runtime, string[] Native);

    private sealed record SharedRecord(string Id, string Version);
}
