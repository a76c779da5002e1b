using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NuGet.Configuration;
using NuGet.Frameworks;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// Restores the NuGet packages a C# module declares (<c>module.json</c> "packages": id to exact
/// version) with their transitive dependencies, for the framework the host runs on, into a cache
/// folder, and says which assemblies to compile against and which to load.
/// </summary>
/// <remarks>
/// Resolution follows NuGet's rules for PackageReference as far as a module needs them: the
/// versions the module names win over any range a dependency asks for; every other package gets
/// the lowest version that satisfies its range, and where several packages depend on one, the
/// highest of those lowest versions. Packages whose assemblies the shared framework already has in
/// the same or a higher version are left out. A package is taken from the cache, else from NuGet's
/// global packages folder, else downloaded from the configured sources; the result of each set of
/// root packages is kept in the cache, so restoring it again reads one file and needs no network.
/// </remarks>
internal sealed class ModulePackageRestorer
{
    private const string FixManifest = "fix the id or the version in module.json \"packages\"";

    private readonly ModulePackageRestorerOptions _options;
    private readonly ILogger _logger;
    private readonly PackageFolderCache _cache;
    private readonly Lazy<PackageFeed> _feed;
    private readonly SharedFrameworkAssemblies _framework = SharedFrameworkAssemblies.Current;

    /// <summary>Creates a restorer over the cache folder and NuGet configuration in <paramref name="options"/>.</summary>
    public ModulePackageRestorer(ModulePackageRestorerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _cache = new PackageFolderCache(options.CacheDirectory);
        TargetFramework = options.TargetFramework ?? NuGetFramework.Parse($"net{Environment.Version.Major}.{Environment.Version.Minor}");
        // Reading the NuGet configuration touches several files; a restore served from the cache never needs it.
        _feed = new Lazy<PackageFeed>(() => new PackageFeed(options.Settings ?? Settings.LoadDefaultSettings(root: null), options.UseGlobalPackagesFolder));
    }

    /// <summary>The framework whose dependency groups and assemblies are picked.</summary>
    public NuGetFramework TargetFramework { get; }

    /// <summary>The cache folder.</summary>
    public string CacheDirectory => _cache.Root;

    /// <summary>Restores <paramref name="packages"/> (package id to exact NuGet version) and their dependencies.</summary>
    /// <exception cref="PackageRestoreException">
    /// A package or version does not exist on the sources, no source could be reached, a package has
    /// no assemblies for <see cref="TargetFramework"/>, or a package is damaged. The message says which and what to do.
    /// </exception>
    public async Task<RestoredPackages> RestoreAsync(IReadOnlyDictionary<string, string> packages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(packages);
        var roots = ParseRoots(packages);
        if (roots.Count == 0)
        {
            return RestoredPackages.Empty;
        }

        var stopwatch = Stopwatch.StartNew();
        var setFile = new RestoreSetFile(_cache.Root, TargetFramework, roots);
        if (await setFile.TryReadAsync(cancellationToken).ConfigureAwait(false) is { } cached)
        {
            PackageRestoreLog.FromCache(_logger, setFile.Key, cached.Packages.Count, stopwatch.ElapsedMilliseconds);
            return cached;
        }

        _cache.RemoveStaleTemporaries();
        using var session = new RestoreSession(_options.NoHttpCache);
        RestoredPackages result;
        try
        {
            result = await ResolveAsync(roots, session, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (source, reason) in session.Unreachable)
            {
                PackageRestoreLog.SourceUnreachable(_logger, PackageFeed.Describe(source), reason);
            }
        }

        await setFile.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        PackageRestoreLog.Restored(
            _logger,
            result.Packages.Count,
            result.Log.Count(e => e.Origin == PackageOrigin.Source),
            result.Log.Count(e => e.Origin == PackageOrigin.GlobalPackagesFolder),
            result.Log.Count(e => e.Origin == PackageOrigin.Cache),
            result.Log.Count(e => e.Origin == PackageOrigin.SharedFramework),
            stopwatch.ElapsedMilliseconds);
        return result;
    }

    private static List<PackageIdentity> ParseRoots(IReadOnlyDictionary<string, string> packages)
    {
        var roots = new List<PackageIdentity>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, version) in packages)
        {
            if (!PackageIdValidator.IsValidPackageId(id))
            {
                throw new PackageRestoreException(id, version, $"\"{id}\" is not a NuGet package id; {FixManifest}");
            }

            if (!seen.Add(id))
            {
                throw new PackageRestoreException(id, version, $"package \"{id}\" is named twice (ids are not case-sensitive); keep one in module.json \"packages\"");
            }

            if (!NuGetVersion.TryParse(version, out var parsed))
            {
                throw new PackageRestoreException(id, version, $"package \"{id}\": \"{version}\" is not a NuGet version; give an exact version such as \"1.2.0\" in module.json \"packages\"");
            }

            roots.Add(new PackageIdentity(id, parsed));
        }

        return roots;
    }

    private async Task<RestoredPackages> ResolveAsync(IReadOnlyList<PackageIdentity> roots, RestoreSession session, CancellationToken cancellationToken)
    {
        var rootVersions = roots.ToDictionary(r => r.Id, r => r.Version, StringComparer.OrdinalIgnoreCase);
        var chosen = new Dictionary<string, NuGetVersion>(rootVersions, StringComparer.OrdinalIgnoreCase);
        var nodes = new Dictionary<PackageIdentity, PackageNode>(PackageIdentityComparer.Default);
        List<PackageNode> closure;
        Dictionary<string, string> shared;
        bool raised;
        do
        {
            // One walk of the graph with the versions chosen so far. Versions only ever go up, so this
            // settles; when a walk raises a package it already walked past, walk again so that the
            // dependencies of the raised version are the ones that count.
            raised = false;
            closure = [];
            shared = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var queued = new HashSet<string>(roots.Select(r => r.Id), StringComparer.OrdinalIgnoreCase);
            var walked = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var queue = new Queue<(string Id, PackageIdentity? RequiredBy)>(roots.Select(r => (r.Id, (PackageIdentity?)null)));
            while (queue.TryDequeue(out var item))
            {
                walked.Add(item.Id);
                var identity = new PackageIdentity(item.Id, chosen[item.Id]);
                if (!nodes.TryGetValue(identity, out var node))
                {
                    node = await AcquireAsync(identity, item.RequiredBy, session, cancellationToken).ConfigureAwait(false);
                    nodes[identity] = node;
                }

                if (node.ProvidedByFramework)
                {
                    shared.TryAdd(node.Identity.Id, node.Identity.Version.ToNormalizedString());
                    continue;
                }

                closure.Add(node);
                foreach (var dependency in node.Dependencies)
                {
                    if (rootVersions.TryGetValue(dependency.Id, out var rootVersion))
                    {
                        if (!dependency.VersionRange.Satisfies(rootVersion))
                        {
                            PackageRestoreLog.RootOutsideRange(_logger, dependency.Id, rootVersion.ToNormalizedString(), dependency.VersionRange.PrettyPrint(), $"{node.Identity.Id} {node.Identity.Version.ToNormalizedString()}");
                        }

                        continue;
                    }

                    if (_framework.SurelyProvides(dependency.Id, dependency.VersionRange.MinVersion))
                    {
                        shared.TryAdd(dependency.Id, dependency.VersionRange.MinVersion!.ToNormalizedString());
                        continue;
                    }

                    var lowest = await LowestMatchAsync(dependency, node.Identity, session, cancellationToken).ConfigureAwait(false);
                    if (!chosen.TryGetValue(dependency.Id, out var current) || lowest > current)
                    {
                        chosen[dependency.Id] = lowest;
                        raised |= walked.Contains(dependency.Id);
                    }

                    if (queued.Add(dependency.Id))
                    {
                        queue.Enqueue((dependency.Id, node.Identity));
                    }
                }
            }
        }
        while (raised);

        var packages = closure
            .Select(n => new RestoredPackage(n.Identity.Id, n.Identity.Version.ToNormalizedString(), n.Directory, n.CompileAssemblies, n.RuntimeAssemblies, n.NativeLibraries))
            .OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase)
            .ToArray();
        var inClosure = new HashSet<PackageIdentity>(closure.Select(n => n.Identity), PackageIdentityComparer.Default);
        // The log tells what happened to the packages of the closure; versions that a later walk raised are left out.
        var log = session.Log
            .Where(e => inClosure.Contains(new PackageIdentity(e.Id, NuGetVersion.Parse(e.Version))))
            .Concat(shared.OrderBy(s => s.Key, StringComparer.OrdinalIgnoreCase).Select(s => new PackageRestoreLogEntry(s.Key, s.Value, PackageOrigin.SharedFramework)))
            .ToArray();
        return new RestoredPackages(packages, log, FromCache: false);
    }

    /// <summary>Puts the package into the cache (from the global packages folder or a source) unless it is there, and reads it.</summary>
    private async Task<PackageNode> AcquireAsync(PackageIdentity identity, PackageIdentity? requiredBy, RestoreSession session, CancellationToken cancellationToken)
    {
        var version = identity.Version.ToNormalizedString();
        string directory;
        if (_cache.Contains(identity))
        {
            directory = _cache.PackageDirectory(identity);
            session.Log.Add(new PackageRestoreLogEntry(identity.Id, version, PackageOrigin.Cache));
        }
        else if (await _feed.Value.FindInGlobalPackagesFolderAsync(identity, cancellationToken).ConfigureAwait(false) is { } nupkg)
        {
            directory = await _cache.AddAsync(identity, nupkg, cancellationToken).ConfigureAwait(false);
            session.Log.Add(new PackageRestoreLogEntry(identity.Id, version, PackageOrigin.GlobalPackagesFolder, _feed.Value.GlobalPackagesFolder));
        }
        else
        {
            var download = _cache.NewTemporaryPath(".nupkg");
            try
            {
                var source = await _feed.Value.DownloadAsync(identity, download, session, cancellationToken).ConfigureAwait(false)
                    ?? throw await NotFoundAsync(identity.Id, version, requiredBy, null, session, cancellationToken).ConfigureAwait(false);
                directory = await _cache.AddAsync(identity, download, cancellationToken).ConfigureAwait(false);
                session.Log.Add(new PackageRestoreLogEntry(identity.Id, version, PackageOrigin.Source, PackageFeed.Describe(source)));
                PackageRestoreLog.Downloaded(_logger, identity.Id, version, PackageFeed.Describe(source));
            }
            finally
            {
                File.Delete(download);
            }
        }

        return ReadNode(identity, directory);
    }

    /// <summary>The lowest version of the dependency that satisfies its range, as NuGet picks it.</summary>
    private async Task<NuGetVersion> LowestMatchAsync(PackageDependency dependency, PackageIdentity requiredBy, RestoreSession session, CancellationToken cancellationToken)
    {
        var range = dependency.VersionRange;
        if (range.HasLowerBound && range.IsMinInclusive)
        {
            // The lower bound itself is the answer whenever it exists; a copy at hand proves it does,
            // and saves asking the sources for the package's version list.
            var lowest = new PackageIdentity(dependency.Id, range.MinVersion);
            if (_cache.Contains(lowest) || _feed.Value.InGlobalPackagesFolder(lowest))
            {
                return range.MinVersion!;
            }
        }

        var versions = await _feed.Value.GetVersionsAsync(dependency.Id, session, cancellationToken).ConfigureAwait(false);
        // As NuGet does, a range whose bounds are stable versions is not satisfied by pre-releases.
        var allowPrerelease = range.MinVersion?.IsPrerelease == true || range.MaxVersion?.IsPrerelease == true;
        var best = range.FindBestMatch(versions.Where(v => allowPrerelease || !v.IsPrerelease));
        return best ?? throw await NotFoundAsync(dependency.Id, range.PrettyPrint(), requiredBy, versions, session, cancellationToken).ConfigureAwait(false);
    }

    private PackageNode ReadNode(PackageIdentity identity, string directory)
    {
        using var reader = new PackageFolderReader(directory);
        var spelled = reader.GetIdentity();
        var groups = reader.GetPackageDependencies().ToList();
        var dependencyGroup = Nearest(groups, g => g.TargetFramework);
        var libGroups = reader.GetLibItems().ToList();
        var lib = Nearest(libGroups, g => g.TargetFramework);
        var refGroups = reader.GetItems(PackagingConstants.Folders.Ref).ToList();
        var compileGroup = Nearest(refGroups, g => g.TargetFramework) ?? Nearest(reader.GetReferenceItems().ToList(), g => g.TargetFramework);
        if (lib is null && compileGroup is null && (libGroups.Count > 0 || refGroups.Count > 0))
        {
            var offered = string.Join(", ", libGroups.Concat(refGroups).Select(g => g.TargetFramework.GetShortFolderName()).Distinct());
            throw new PackageRestoreException(identity.Id, identity.Version.ToNormalizedString(),
                $"package \"{identity.Id}\" {identity.Version.ToNormalizedString()} has no assemblies for {TargetFramework.GetShortFolderName()} (it has them for {offered}); use a version of it that supports .NET {TargetFramework.Version.Major}, in module.json \"packages\"");
        }

        var agnostic = Assemblies(directory, lib);
        var compile = compileGroup is null ? agnostic : Assemblies(directory, compileGroup);
        var files = reader.GetFiles().ToList();
        // RID-specific assemblies replace the RID-agnostic ones at run time, as NuGet does.
        var runtime = PlatformAssemblies(directory, files) ?? agnostic;
        return new PackageNode(
            new PackageIdentity(spelled.Id, identity.Version),
            directory,
            dependencyGroup?.Packages.ToArray() ?? [],
            compile,
            runtime,
            NativeLibraries(directory, files),
            ProvidedByFramework: _framework.ProvidesAll(runtime));
    }

    /// <summary>The run-time assemblies of <c>runtimes/&lt;rid&gt;/lib/&lt;tfm&gt;/</c> for the most specific RID that has a compatible framework folder, or null.</summary>
    private string[]? PlatformAssemblies(string directory, IReadOnlyList<string> files)
    {
        foreach (var rid in RuntimeIdentifierChain.Current)
        {
            var prefix = $"runtimes/{rid}/lib/";
            var groups = files
                .Where(f => f.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && f.Count(c => c == '/') == 4)
                .GroupBy(f => NuGetFramework.ParseFolder(f.Split('/')[3]))
                .Select(g => new FrameworkSpecificGroup(g.Key, g))
                .ToList();
            if (Nearest(groups, g => g.TargetFramework) is { } group)
            {
                return group.Items
                    .Where(item => item.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                    .Select(item => Path.GetFullPath(Path.Combine(directory, item)))
                    .ToArray();
            }
        }

        return null;
    }

    /// <summary>The files of <c>runtimes/&lt;rid&gt;/native/</c> for the most specific RID that has any.</summary>
    private static string[] NativeLibraries(string directory, IReadOnlyList<string> files)
    {
        foreach (var rid in RuntimeIdentifierChain.Current)
        {
            var prefix = $"runtimes/{rid}/native/";
            var native = files
                .Where(f => f.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && !f.EndsWith('/') && !f.EndsWith("/_._", StringComparison.Ordinal))
                .Select(f => Path.GetFullPath(Path.Combine(directory, f)))
                .ToArray();
            if (native.Length > 0)
            {
                return native;
            }
        }

        return [];
    }

    private T? Nearest<T>(IReadOnlyList<T> groups, Func<T, NuGetFramework> framework)
        where T : class
    {
        // A reducer per call: modules load in parallel, and FrameworkReducer does not promise to be thread-safe.
        var nearest = new FrameworkReducer().GetNearest(TargetFramework, groups.Select(framework));
        return nearest is null ? null : groups.First(g => framework(g).Equals(nearest));
    }

    /// <summary>The group's assemblies: <c>.dll</c> files directly in its folder (not satellites, not the <c>_._</c> placeholder).</summary>
    private static string[] Assemblies(string directory, FrameworkSpecificGroup? group) =>
        group is null
            ? []
            : group.Items
                .Where(item => item.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && item.Count(c => c == '/') == 2)
                .Select(item => Path.GetFullPath(Path.Combine(directory, item)))
                .ToArray();

    private async Task<PackageRestoreException> NotFoundAsync(string id, string wanted, PackageIdentity? requiredBy, IReadOnlyList<NuGetVersion>? versions, RestoreSession session, CancellationToken cancellationToken)
    {
        var feed = _feed.Value;
        var what = requiredBy is null
            ? $"package \"{id}\" {wanted}"
            : $"package \"{id}\" {wanted} (needed by {requiredBy.Id} {requiredBy.Version.ToNormalizedString()})";
        var unreachable = session.Unreachable.Select(u => u.Source.Source).ToHashSet(StringComparer.Ordinal);
        var reachable = feed.Sources.Where(s => !unreachable.Contains(s.Source)).ToList();
        var globalFolder = feed.GlobalPackagesFolder is { } folder ? $" nor in the global packages folder {folder}" : string.Empty;
        string message;
        if (reachable.Count == 0)
        {
            message = feed.Sources.Count == 0
                ? $"{what} could not be restored: it is not in the module package cache{globalFolder}, and the NuGet configuration enables no package source; add one (e.g. with `dotnet nuget add source`)"
                : $"{what} could not be restored: it is not in the module package cache{globalFolder}, and no package source could be reached";
        }
        else
        {
            versions ??= await feed.GetVersionsAsync(id, session, cancellationToken).ConfigureAwait(false);
            var where = string.Join(", ", reachable.Select(PackageFeed.Describe));
            message = versions.Count == 0
                ? $"{what} was not found: no package with the id \"{id}\" is on {where}"
                : $"{what} was not found: {where} {(reachable.Count == 1 ? "has" : "have")} no such version of \"{id}\" (versions there: {(versions.Count > 10 ? "..., " : string.Empty)}{string.Join(", ", versions.TakeLast(10).Select(v => v.ToNormalizedString()))})";
        }

        foreach (var (source, reason) in session.Unreachable)
        {
            message += $"; package source {PackageFeed.Describe(source)} could not be reached: {reason}";
        }

        // Advice for what went wrong: with no source reachable the id and version may well be right.
        message += reachable.Count == 0
            ? "; check the network and the sources in the NuGet configuration"
            : requiredBy is null
                ? $"; {FixManifest}"
                : $"; use a version of {requiredBy.Id} whose dependencies the sources have, or add a source that has them to the NuGet configuration";
        if (reachable.Count > 0 && session.Unreachable.Count > 0)
        {
            message += ", or make the unreachable sources reachable";
        }

        return new PackageRestoreException(id, wanted, message);
    }

    /// <summary>A package in the cache as the resolver sees it: its dependencies for the framework and its assemblies.</summary>
    private sealed record PackageNode(
        PackageIdentity Identity,
        string Directory,
        IReadOnlyList<PackageDependency> Dependencies,
        IReadOnlyList<string> CompileAssemblies,
        IReadOnlyList<string> RuntimeAssemblies,
        IReadOnlyList<string> NativeLibraries,
        bool ProvidedByFramework);
}
