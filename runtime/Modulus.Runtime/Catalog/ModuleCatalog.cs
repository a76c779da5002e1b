using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Modules;
using Modulus.Runtime.Access;
using Modulus.Runtime.Isolation;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;

namespace Modulus.Runtime.Catalog;

/// <summary>
/// The modules served: loads every module below the root (each in its worker process, or in the host
/// when its manifest says "inprocess"), publishes each one the moment it is ready, and swaps in
/// reloaded modules without disturbing calls in flight. Readers see an immutable snapshot, so a call
/// takes no lock.
/// </summary>
internal sealed class ModuleCatalog : IModuleCatalog, IAsyncDisposable
{
    private readonly Dictionary<string, IModuleLoader> _inProcessLoaders;
    private readonly WorkerModuleLoader _workers;
    private readonly ModulusRuntimeOptions _options;
    private readonly ILogger<ModuleCatalog> _logger;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly Lock _publishGate = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private HashSet<ModuleFault> _reportedFaults = [];
    private int _disposed;

    // A module that failed to load is not loaded again until its files change: with workers, a retry
    // is a process start, and the rescan comes every few seconds.
    private Dictionary<string, (string Fingerprint, ModuleFault Fault)> _failedLoads = new(StringComparer.Ordinal);

    public ModuleCatalog(IEnumerable<IModuleLoader> inProcessLoaders, WorkerModuleLoader workers, IOptions<ModulusRuntimeOptions> options, ILogger<ModuleCatalog> logger)
    {
        _inProcessLoaders = inProcessLoaders.ToDictionary(l => l.Language, StringComparer.Ordinal);
        _workers = workers;
        _options = options.Value;
        _logger = logger;
    }

    public string Root => Path.GetFullPath(_options.TreeRoot);

    public IReadOnlyList<ModuleInfo> Modules
    {
        get
        {
            var snapshot = _snapshot;
            return snapshot.Entries.Values.Any(e => e.Module.Failure is not null)
                ? snapshot.Infos.Where(i => snapshot.Entries[i.Name].Module.Failure is null).ToArray()
                : snapshot.Infos;
        }
    }

    public IReadOnlyList<ModuleFault> Faults
    {
        get
        {
            var snapshot = _snapshot;
            var failed = snapshot.Entries.Values.Where(e => e.Module.Failure is not null).ToArray();
            return failed.Length == 0
                ? snapshot.Faults
                : [.. snapshot.Faults, .. failed.Select(e => new ModuleFault(e.Source.Directory, e.Module.Failure!) { Module = e.Source.Name })];
        }
    }

    public IReadOnlyList<string> Loading => _snapshot.Loading;

    /// <summary>The largest request the module served as <paramref name="name"/> accepts (<c>limits.max_request_bytes</c>), or null when it is not served.</summary>
    public int? MaxRequestBytes(string name) => _snapshot.Entries.TryGetValue(name, out var entry) ? entry.Source.Manifest.Limits.MaxRequestBytes : null;

    public ModuleInfo? Find(string name)
    {
        var snapshot = _snapshot;
        return snapshot.Entries.TryGetValue(name, out var entry) && entry.Module.Failure is null ? snapshot.Info(name) : null;
    }

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>Takes a reference on the module served as <paramref name="name"/>; release it when the call is done.</summary>
    /// <exception cref="ModulusException">See <see cref="NotServed"/>.</exception>
    public ModuleEntry Acquire(string name)
    {
        // A retired entry refuses new references; the next snapshot then has its successor.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (!_snapshot.Entries.TryGetValue(name, out var entry) || entry.Module.Failure is not null)
            {
                break;
            }

            if (entry.TryAcquire())
            {
                return entry;
            }

            Thread.Yield();
        }

        throw NotServed(name);
    }

    /// <summary>
    /// Why <paramref name="name"/> is not served, the one wording for calls and <c>info</c>: UNAVAILABLE
    /// while it loads or when its worker keeps crashing; NOT_FOUND with the fault when it failed to
    /// load, or when the tree has no such module.
    /// </summary>
    public ModulusException NotServed(string name)
    {
        var snapshot = _snapshot;
        if (snapshot.Loading.Contains(name, StringComparer.Ordinal))
        {
            return new ModulusException(StatusCode.Unavailable, $"module \"{name}\" is still loading; retry in a moment");
        }

        if (snapshot.Entries.TryGetValue(name, out var entry) && entry.Module.Failure is { } failure)
        {
            return new ModulusException(StatusCode.Unavailable, $"module {name} is failed: {failure}");
        }

        var folder = Path.DirectorySeparatorChar + name.Replace('.', Path.DirectorySeparatorChar);
        var fault = snapshot.Faults.FirstOrDefault(f => f.Module == name)
            ?? snapshot.Faults.FirstOrDefault(f => f.Path.Contains(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) || f.Path.EndsWith(folder, StringComparison.Ordinal));
        return new ModulusException(StatusCode.NotFound, fault is null
            ? $"module \"{name}\" is not served here; `modulus ls` lists the modules this host serves"
            : $"module \"{name}\" failed to load: {fault}");
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes this once as itself and once as IModuleCatalog.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _reloadGate.WaitAsync().ConfigureAwait(false);
        Snapshot snapshot;
        lock (_publishGate)
        {
            snapshot = _snapshot;
            _snapshot = Snapshot.Empty;
        }

        // Workers stop in parallel: each may take its stop timeout to finish its calls.
        await Task.WhenAll(snapshot.Entries.Values.Select(e => e.ReleaseAsync().AsTask())).ConfigureAwait(false);
        await _workers.DisposeAsync().ConfigureAwait(false);
        _reloadGate.Dispose();
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var scan = await Task.Run(() => ModuleTreeScanner.Scan(Root), cancellationToken).ConfigureAwait(false);
        var current = _snapshot;
        var faults = new List<ModuleFault>(scan.Faults);
        var toLoad = new List<ModuleSource>();
        var failedLoads = new Dictionary<string, (string, ModuleFault)>(StringComparer.Ordinal);
        var names = scan.Modules.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var source in scan.Modules)
        {
            // The fingerprint covers every file of the folder, module.json included.
            if (current.Entries.TryGetValue(source.Name, out var existing)
                && existing.Source.Fingerprint == source.Fingerprint
                && existing.Source.Directory == source.Directory)
            {
                continue;
            }

            if (_failedLoads.TryGetValue(source.Name, out var failed) && failed.Fingerprint == source.Fingerprint)
            {
                failedLoads[source.Name] = failed;
                faults.Add(failed.Fault);
                continue;
            }

            toLoad.Add(source);
        }

        var removed = current.Entries.Where(e => !names.Contains(e.Key)).ToArray();
        Snapshot published;
        lock (_publishGate)
        {
            var entries = new Dictionary<string, ModuleEntry>(_snapshot.Entries, StringComparer.Ordinal);
            foreach (var (name, _) in removed)
            {
                entries.Remove(name);
            }

            published = _snapshot = new Snapshot(entries, faults.ToArray(), toLoad.Select(s => s.Name).Order(StringComparer.Ordinal).ToArray());
        }

        foreach (var (name, entry) in removed)
        {
            RuntimeLog.ModuleRemoved(_logger, name);
            await entry.ReleaseAsync().ConfigureAwait(false);
        }

        await Parallel.ForEachAsync(
            toLoad,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = cancellationToken },
            async (source, ct) =>
            {
                ModuleEntry? loaded = null;
                ModuleFault? fault = null;
                try
                {
                    loaded = new ModuleEntry(await LoadAsync(source, ct).ConfigureAwait(false), UnloadAsync);
                }
                catch (ModuleLoadException ex)
                {
                    fault = ex.Fault with { Module = source.Name };
                }

                var retired = Publish(source, loaded, fault, failedLoads);
                if (retired is not null)
                {
                    await retired.ReleaseAsync().ConfigureAwait(false);
                }
            }).ConfigureAwait(false);

        _failedLoads = failedLoads;
        var final = _snapshot;
        ReportNewFaults(final.Faults);
        if (toLoad.Count > 0 || removed.Length > 0 || current == Snapshot.Empty)
        {
            RuntimeLog.TreeLoaded(_logger, Root, final.Entries.Count, final.Faults.Count, toLoad.Count, stopwatch.ElapsedMilliseconds);
        }
    }

    /// <summary>Serves one module that finished loading (or records why it failed); returns the entry it replaced.</summary>
    private ModuleEntry? Publish(ModuleSource source, ModuleEntry? loaded, ModuleFault? fault, Dictionary<string, (string, ModuleFault)> failedLoads)
    {
        lock (_publishGate)
        {
            var snapshot = _snapshot;
            var entries = new Dictionary<string, ModuleEntry>(snapshot.Entries, StringComparer.Ordinal);
            var faults = snapshot.Faults.ToList();
            entries.TryGetValue(source.Name, out var previous);
            ModuleEntry? retired = null;
            if (loaded is not null)
            {
                entries[source.Name] = loaded;
                if (previous is not null)
                {
                    retired = previous;
                    RuntimeLog.ModuleReloaded(_logger, source.Name, loaded.Module.Info.Version);
                }
            }
            else
            {
                if (previous is not null)
                {
                    // A broken edit does not take a working module away: the previous load keeps serving.
                    fault = fault! with { Reason = fault.Reason + "; the previous version keeps serving" };
                }

                faults.Add(fault!);
                lock (failedLoads)
                {
                    failedLoads[source.Name] = (source.Fingerprint, fault!);
                }
            }

            _snapshot = new Snapshot(entries, faults, snapshot.Loading.Where(n => n != source.Name).ToArray());
            return retired;
        }
    }

    private async Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        try
        {
            if (source.Manifest.Isolation == ModuleIsolation.Process)
            {
                return await _workers.LoadAsync(source, cancellationToken).ConfigureAwait(false);
            }

            if (!_inProcessLoaders.TryGetValue(source.Manifest.Language, out var loader))
            {
                throw new ModuleLoadException(new ModuleFault(source.ManifestPath, $"\"isolation\": \"inprocess\" is not available for {source.Manifest.Language} modules"));
            }

            return await loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ModuleLoadException and not OperationCanceledException)
        {
            // A loader's unexpected failure is this one module's fault, not the tree's.
            throw new ModuleLoadException(new ModuleFault(source.Directory, $"could not be loaded: {ex.GetType().Name}: {ex.Message}"));
        }
    }

    private void ReportNewFaults(IReadOnlyList<ModuleFault> faults)
    {
        var now = faults.ToHashSet();
        foreach (var fault in faults)
        {
            if (!_reportedFaults.Contains(fault))
            {
                RuntimeLog.ModuleFault(_logger, fault.Path, fault.Reason);
            }
        }

        _reportedFaults = now;
    }

    private async ValueTask UnloadAsync(ModuleEntry entry)
    {
        try
        {
            await entry.Module.DisposeAsync().ConfigureAwait(false);
            entry.Limiter?.Dispose();
            entry.CallerLimiter?.Dispose();
        }
        catch (Exception ex)
        {
            // Unloading is the module's last act; its failure must not reach a caller or the reload.
            RuntimeLog.UnloadFailed(_logger, entry.Module.Info.Name, ex);
        }
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new(new Dictionary<string, ModuleEntry>(), [], []);

        public Snapshot(Dictionary<string, ModuleEntry> entries, IReadOnlyList<ModuleFault> faults, IReadOnlyList<string> loading)
        {
            Entries = entries;
            Faults = faults;
            Loading = loading;
            Infos = entries.Values.Select(e => AccessDescription.Describe(e.Module.Info, e.Source.Manifest.Access)).OrderBy(i => i.Name, StringComparer.Ordinal).ToArray();
            _byName = Infos.ToDictionary(i => i.Name, StringComparer.Ordinal);
        }

        public Dictionary<string, ModuleEntry> Entries { get; }

        public IReadOnlyList<ModuleFault> Faults { get; }

        public IReadOnlyList<string> Loading { get; }

        public IReadOnlyList<ModuleInfo> Infos { get; }

        private readonly Dictionary<string, ModuleInfo> _byName;

        public ModuleInfo Info(string name) => _byName[name];
    }
}
