using System.Collections.Concurrent;
using System.Security.Cryptography;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using NuGetNullLogger = NuGet.Common.NullLogger;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// Where packages come from: NuGet's global packages folder first (no network), then the enabled
/// sources of the NuGet configuration, in their order.
/// </summary>
internal sealed class PackageFeed
{
    private readonly ConcurrentDictionary<string, Task<FindPackageByIdResource?>> _resources = new(StringComparer.Ordinal);
    private readonly VersionFolderPathResolver? _globalPackages;

    /// <summary>Reads the sources and the global packages folder from <paramref name="settings"/>.</summary>
    public PackageFeed(ISettings settings, bool useGlobalPackagesFolder)
    {
        Sources = new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled).ToArray();
        if (useGlobalPackagesFolder)
        {
            GlobalPackagesFolder = SettingsUtility.GetGlobalPackagesFolder(settings);
            _globalPackages = new VersionFolderPathResolver(GlobalPackagesFolder);
        }
    }

    /// <summary>The enabled package sources, in order.</summary>
    public IReadOnlyList<PackageSource> Sources { get; }

    /// <summary>NuGet's global packages folder, or null when it is not used.</summary>
    public string? GlobalPackagesFolder { get; }

    /// <summary>The sources as a user would recognise them, for messages.</summary>
    public string DescribeSources() => Sources.Count == 0
        ? "no package source (the NuGet configuration enables none)"
        : string.Join(", ", Sources.Select(Describe));

    /// <summary>A source's name and address.</summary>
    public static string Describe(PackageSource source) =>
        source.Name == source.Source ? source.Source : $"{source.Name} ({source.Source})";

    /// <summary>
    /// The package's .nupkg in the global packages folder, if it is there complete and its bytes still
    /// hash to the SHA-512 that NuGet recorded when it extracted it; otherwise null.
    /// </summary>
    public async Task<string?> FindInGlobalPackagesFolderAsync(PackageIdentity package, CancellationToken cancellationToken)
    {
        if (_globalPackages is null)
        {
            return null;
        }

        var nupkg = _globalPackages.GetPackageFilePath(package.Id, package.Version);
        var hashFile = _globalPackages.GetHashPath(package.Id, package.Version);
        // NuGet writes .nupkg.metadata last: without it the folder may be a half-finished extraction.
        if (!File.Exists(nupkg) || !File.Exists(hashFile) || !File.Exists(_globalPackages.GetNupkgMetadataPath(package.Id, package.Version)))
        {
            return null;
        }

        var expected = (await File.ReadAllTextAsync(hashFile, cancellationToken).ConfigureAwait(false)).Trim();
        await using var stream = File.OpenRead(nupkg);
        var actual = Convert.ToBase64String(await SHA512.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        return string.Equals(expected, actual, StringComparison.Ordinal) ? nupkg : null;
    }

    /// <summary>Whether the global packages folder holds this exact package (without checking its hash).</summary>
    public bool InGlobalPackagesFolder(PackageIdentity package) =>
        _globalPackages is not null && File.Exists(_globalPackages.GetNupkgMetadataPath(package.Id, package.Version));

    /// <summary>
    /// Downloads the package into <paramref name="destination"/> from the first source that has it.
    /// Returns that source, or null when no reachable source has it; a source that cannot be reached is
    /// recorded in the session and not asked again during it.
    /// </summary>
    public async Task<PackageSource?> DownloadAsync(PackageIdentity package, string destination, RestoreSession session, CancellationToken cancellationToken)
    {
        foreach (var source in Sources)
        {
            var resource = await ResourceAsync(source, session, cancellationToken).ConfigureAwait(false);
            if (resource is null)
            {
                continue;
            }

            try
            {
                bool found;
                await using (var stream = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                {
                    found = await resource.CopyNupkgToStreamAsync(package.Id, package.Version, stream, session.SourceCache, NuGetNullLogger.Instance, cancellationToken).ConfigureAwait(false);
                }

                if (found)
                {
                    return source;
                }
            }
            catch (FatalProtocolException ex)
            {
                session.MarkUnreachable(source, ex);
            }
        }

        File.Delete(destination);
        return null;
    }

    /// <summary>Every version of <paramref name="id"/> that the reachable sources list, lowest first.</summary>
    public async Task<IReadOnlyList<NuGetVersion>> GetVersionsAsync(string id, RestoreSession session, CancellationToken cancellationToken)
    {
        var versions = new SortedSet<NuGetVersion>();
        foreach (var source in Sources)
        {
            var resource = await ResourceAsync(source, session, cancellationToken).ConfigureAwait(false);
            if (resource is null)
            {
                continue;
            }

            try
            {
                versions.UnionWith(await resource.GetAllVersionsAsync(id, session.SourceCache, NuGetNullLogger.Instance, cancellationToken).ConfigureAwait(false));
            }
            catch (FatalProtocolException ex)
            {
                session.MarkUnreachable(source, ex);
            }
        }

        return versions.ToArray();
    }

    private async Task<FindPackageByIdResource?> ResourceAsync(PackageSource source, RestoreSession session, CancellationToken cancellationToken)
    {
        if (session.IsUnreachable(source))
        {
            return null;
        }

        var task = _resources.GetOrAdd(source.Source, _ => Repository.Factory.GetCoreV3(source).GetResourceAsync<FindPackageByIdResource>(CancellationToken.None));
        try
        {
            return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (FatalProtocolException ex)
        {
            // Forget the failed attempt so that the next restore asks the source again.
            _resources.TryRemove(new KeyValuePair<string, Task<FindPackageByIdResource?>>(source.Source, task));
            session.MarkUnreachable(source, ex);
            return null;
        }
    }
}
