using System.Diagnostics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol;
using Modulus.Runtime.Access;
using Modulus.Runtime.Invocation;
using Modulus.Runtime.Isolation;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Modulus.Modules;

namespace Modulus.Runtime;

/// <summary>
/// The served module tree: loads every module below the root, swaps in reloaded modules without
/// disturbing calls in flight, and calls endpoints. Readers see an immutable snapshot, so a call
/// takes no lock.
/// </summary>
internal sealed class ModuleTree : IModuleCatalog, IModuleInvoker, IAsyncDisposable
{
    private readonly Dictionary<string, IModuleLoader> _loaders;
    private readonly ModulusRuntimeOptions _options;
    private readonly ILogger<ModuleTree> _logger;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private HashSet<ModuleFault> _reportedFaults = [];

    private readonly IStakeOracle _stakes;
    private readonly WorkerModuleLoader _workers;

    public ModuleTree(IEnumerable<IModuleLoader> loaders, WorkerModuleLoader workers, IStakeOracle stakes, IOptions<ModulusRuntimeOptions> options, ILogger<ModuleTree> logger)
    {
        _stakes = stakes;
        _workers = workers;
        _loaders = loaders.ToDictionary(l => l.Language, StringComparer.Ordinal);
        _options = options.Value;
        _logger = logger;
    }

    public string Root => Path.GetFullPath(_options.TreeRoot);

    public IReadOnlyList<ModuleInfo> Modules => _snapshot.Infos.Count == 0 || !_snapshot.Entries.Values.Any(e => e.Module.Failure is not null)
        ? _snapshot.Infos
        : _snapshot.Infos.Where(i => _snapshot.Entries[i.Name].Module.Failure is null).ToArray();

    public IReadOnlyList<ModuleFault> Faults
    {
        get
        {
            var snapshot = _snapshot;
            var failed = snapshot.Entries.Values.Where(e => e.Module.Failure is not null).ToArray();
            return failed.Length == 0
                ? snapshot.Faults
                : [.. snapshot.Faults, .. failed.Select(e => new ModuleFault(e.Source.Directory, e.Module.Failure!))];
        }
    }

    public ModuleInfo? Find(string name) => _snapshot.Entries.TryGetValue(name, out var entry) && entry.Module.Failure is null ? entry.Module.Info : null;

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

    public async ValueTask<Value> InvokeAsync(ModuleCall call, CancellationToken cancellationToken)
    {
        var entry = AcquireEntry(call.Module);
        try
        {
            var module = entry.Module;
            if (module.Failure is { } failure)
            {
                throw new ModulusException(StatusCode.Unavailable, $"module {call.Module} is failed: {failure}");
            }

            if (!module.TryGetEndpoint(call.Endpoint, out var endpoint))
            {
                throw new ModulusException(StatusCode.NotFound,
                    $"module {call.Module} has no endpoint \"{call.Endpoint}\"; it has {string.Join(", ", module.Info.Endpoints.Select(e => e.Name))}");
            }

            var target = $"{call.Module}/{endpoint.Name}";
            var manifest = entry.Source.Manifest;
            await AccessGuard.CheckAsync(call.Module, manifest.Access, call.Caller, _stakes, cancellationToken).ConfigureAwait(false);
            if (call.RequestBytes > manifest.Limits.MaxRequestBytes)
            {
                throw new ModulusException(StatusCode.ResourceExhausted,
                    $"the request to {target} is {call.RequestBytes} bytes; the module accepts at most {manifest.Limits.MaxRequestBytes} (limits.max_request_bytes)");
            }

            if (entry.CallerLimiter is { } rate)
            {
                var who = call.Caller ?? call.Peer ?? "anonymous";
                using var token = rate.AttemptAcquire(who);
                if (!token.IsAcquired)
                {
                    throw new ModulusException(StatusCode.ResourceExhausted,
                        $"caller {who} is over {call.Module}'s rate of {manifest.Limits.RatePerCaller} calls per second (limits.rate_per_caller); retry in a moment");
                }

                if (call.Caller is not null && call.Peer is not null)
                {
                    using var address = rate.AttemptAcquire(ModuleEntry.SignedAddressPrefix + call.Peer);
                    if (!address.IsAcquired)
                    {
                        throw new ModulusException(StatusCode.ResourceExhausted,
                            $"address {call.Peer} is over {call.Module}'s rate for signed callers from one address ({ModuleEntry.SignersPerAddress} × {manifest.Limits.RatePerCaller} calls per second, limits.rate_per_caller); retry in a moment");
                    }
                }
            }

            var arguments = ArgumentBinder.Bind(target, endpoint, call.Args, call.Kwargs);

            RateLimitLease? permit = null;
            if (entry.Limiter is { } limiter)
            {
                permit = await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                if (!permit.IsAcquired)
                {
                    permit.Dispose();
                    var limits = entry.Source.Manifest.Limits;
                    throw new ModulusException(StatusCode.ResourceExhausted,
                        $"{target} is busy: {limits.MaxConcurrency} calls running and {limits.MaxQueue} waiting (limits.max_concurrency, limits.max_queue); retry later");
                }
            }

            return await RunAsync(entry, endpoint, arguments, call, target, permit, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await entry.ReleaseAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        var snapshot = _snapshot;
        _snapshot = Snapshot.Empty;
        foreach (var entry in snapshot.Entries.Values)
        {
            await entry.ReleaseAsync().ConfigureAwait(false);
        }

        _reloadGate.Dispose();
    }

    private async ValueTask<Value> RunAsync(ModuleEntry entry, EndpointSchema endpoint, Value?[] arguments, ModuleCall call, string target, RateLimitLease? permit, CancellationToken cancellationToken)
    {
        var timeout = entry.Source.Manifest.Limits.Timeout;
        if (call.Deadline is { } deadline)
        {
            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                permit?.Dispose();
                throw new ModulusException(StatusCode.DeadlineExceeded, $"{target}: the caller's deadline passed before the call started");
            }

            timeout = remaining < timeout ? remaining : timeout;
        }

        var deadlineSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadlineSource.CancelAfter(timeout);
        var context = new CallContext
        {
            Module = call.Module,
            Endpoint = endpoint.Name,
            RequestId = call.RequestId,
            Caller = call.Caller,
            Deadline = DateTimeOffset.UtcNow + timeout,
            CancellationToken = deadlineSource.Token,
        };

        Task<Value>? running = null;
        try
        {
            var module = entry.Module;
            // Module code never runs on a transport's thread: an in-process module that blocks would
            // stop the loop that reads the next call. A worker's module is a message on a socket.
            running = module is WorkerModule
                ? module.InvokeAsync(endpoint, arguments, context).AsTask()
                : Task.Run(() => module.InvokeAsync(endpoint, arguments, context).AsTask(), CancellationToken.None);
            return await running.WaitAsync(deadlineSource.Token).ConfigureAwait(false);
        }
        catch (ModulusException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new ModulusException(StatusCode.Cancelled, $"{target}: the caller cancelled the call");
        }
        catch (OperationCanceledException) when (deadlineSource.IsCancellationRequested)
        {
            RuntimeLog.CallTimedOut(_logger, target, (long)timeout.TotalMilliseconds);
            throw new ModulusException(StatusCode.DeadlineExceeded,
                $"{target} did not finish within {timeout.TotalMilliseconds:0} ms (the caller's deadline or limits.timeout_ms)");
        }
        catch (Exception ex)
        {
            // The edge of module code: whatever a module throws becomes INTERNAL with its message.
            RuntimeLog.EndpointFailed(_logger, target, ex);
            throw new ModulusException(StatusCode.Internal, $"{target} threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            if (running is { IsCompleted: false })
            {
                // The module ignored its cancellation token: hold its permit and reference until it
                // really stops, so the limits stay true and the code is not unloaded under it.
                entry.TryAcquire();
                _ = running.ContinueWith(
                    static (_, state) =>
                    {
                        var (e, p, s) = ((ModuleEntry, RateLimitLease?, CancellationTokenSource))state!;
                        p?.Dispose();
                        s.Dispose();
                        return e.ReleaseAsync();
                    },
                    (entry, permit, deadlineSource),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
            else
            {
                permit?.Dispose();
                deadlineSource.Dispose();
            }
        }
    }

    private ModuleEntry AcquireEntry(string name)
    {
        // A retired entry refuses new references; the next snapshot then has its successor.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (!_snapshot.Entries.TryGetValue(name, out var entry))
            {
                break;
            }

            if (entry.TryAcquire())
            {
                return entry;
            }

            Thread.Yield();
        }

        var fault = _snapshot.Faults.FirstOrDefault(f => f.Path.Contains($"{Path.DirectorySeparatorChar}{name.Replace('.', Path.DirectorySeparatorChar)}{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        throw new ModulusException(StatusCode.NotFound, fault is null
            ? $"module \"{name}\" is not served here; `modulus ls` lists the modules this host serves"
            : $"module \"{name}\" failed to load: {fault}");
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var scan = await Task.Run(() => ModuleTreeScanner.Scan(Root), cancellationToken).ConfigureAwait(false);
        var current = _snapshot;
        var faults = new List<ModuleFault>(scan.Faults);
        var next = new Dictionary<string, ModuleEntry>(StringComparer.Ordinal);
        var retired = new List<ModuleEntry>();
        var toLoad = new List<ModuleSource>();

        foreach (var source in scan.Modules)
        {
            // The fingerprint covers every file of the folder, module.json included.
            if (current.Entries.TryGetValue(source.Name, out var existing)
                && existing.Source.Fingerprint == source.Fingerprint
                && existing.Source.Directory == source.Directory)
            {
                next[source.Name] = existing;
            }
            else
            {
                toLoad.Add(source);
            }
        }

        var loaded = new ModuleEntry?[toLoad.Count];
        var loadFaults = new ModuleFault?[toLoad.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, toLoad.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    var module = await LoadAsync(toLoad[i], ct).ConfigureAwait(false);
                    loaded[i] = new ModuleEntry(module, UnloadAsync);
                }
                catch (ModuleLoadException ex)
                {
                    loadFaults[i] = ex.Fault;
                }
            }).ConfigureAwait(false);

        for (var i = 0; i < toLoad.Count; i++)
        {
            var name = toLoad[i].Name;
            current.Entries.TryGetValue(name, out var previous);
            if (loaded[i] is { } entry)
            {
                next[name] = entry;
                if (previous is not null)
                {
                    retired.Add(previous);
                    RuntimeLog.ModuleReloaded(_logger, name, entry.Module.Info.Version);
                }
            }
            else
            {
                var fault = loadFaults[i]!;
                if (previous is not null)
                {
                    // A broken edit does not take a working module away: the previous load keeps serving.
                    next[name] = previous;
                    fault = fault with { Reason = fault.Reason + "; the previous version keeps serving" };
                }

                faults.Add(fault);
            }
        }

        foreach (var (name, entry) in current.Entries)
        {
            if (!next.ContainsKey(name))
            {
                retired.Add(entry);
                RuntimeLog.ModuleRemoved(_logger, name);
            }
        }

        _snapshot = new Snapshot(next, faults);
        ReportNewFaults(faults);
        foreach (var entry in retired)
        {
            await entry.ReleaseAsync().ConfigureAwait(false);
        }

        if (toLoad.Count > 0 || retired.Count > 0 || current == Snapshot.Empty)
        {
            RuntimeLog.TreeLoaded(_logger, Root, next.Count, faults.Count, toLoad.Count, stopwatch.ElapsedMilliseconds);
        }
    }

    private async Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        if (source.Manifest.Isolation == ModuleIsolation.Process)
        {
            return await _workers.LoadAsync(source, cancellationToken).ConfigureAwait(false);
        }

        if (!_loaders.TryGetValue(source.Manifest.Language, out var loader))
        {
            throw new ModuleLoadException(new ModuleFault(source.ManifestPath, $"no loader for language \"{source.Manifest.Language}\""));
        }

        try
        {
            return await loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ModuleLoadException and not OperationCanceledException)
        {
            // A loader's unexpected failure is this one module's fault, not the tree's.
            throw new ModuleLoadException(new ModuleFault(source.Directory, $"could not be loaded: {ex.GetType().Name}: {ex.Message}"));
        }
    }

    private void ReportNewFaults(List<ModuleFault> faults)
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
        public static readonly Snapshot Empty = new(new Dictionary<string, ModuleEntry>(), []);

        public Snapshot(Dictionary<string, ModuleEntry> entries, IReadOnlyList<ModuleFault> faults)
        {
            Entries = entries;
            Faults = faults;
            Infos = entries.Values.Select(e => e.Module.Info).OrderBy(i => i.Name, StringComparer.Ordinal).ToArray();
        }

        public Dictionary<string, ModuleEntry> Entries { get; }

        public IReadOnlyList<ModuleFault> Faults { get; }

        public IReadOnlyList<ModuleInfo> Infos { get; }
    }
}
