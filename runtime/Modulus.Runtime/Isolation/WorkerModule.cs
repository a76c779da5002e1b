using Microsoft.Extensions.Logging;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// A module served by a worker process, supervised: a worker that dies is reported once and started
/// again after a delay that doubles with each crash in a row; a module whose workers keep dying is
/// marked failed until its files change (a reload replaces this whole object).
/// </summary>
internal sealed class WorkerModule : LoadedModule
{
    private readonly Func<CancellationToken, Task<WorkerProcess>> _start;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<DateTimeOffset> _crashes = new();
    private readonly Task _supervisor;
    private volatile WorkerProcess _worker;
    private TaskCompletionSource<WorkerProcess> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _failure;

    public WorkerModule(ModuleSource source, ModuleInfo info, WorkerProcess worker, Func<CancellationToken, Task<WorkerProcess>> start, WorkerOptions options, ILogger logger)
        : base(source, info)
    {
        _worker = worker;
        _start = start;
        _options = options;
        _logger = logger;
        _supervisor = SuperviseAsync();
    }

    /// <summary>Why the module is not served (its workers kept dying), or null while it is.</summary>
    public override string? Failure => _failure;

    /// <summary>The worker's process id, for tests and diagnostics; 0 while it restarts.</summary>
    public int Pid => _worker.IsDead ? 0 : _worker.Pid;

    public override async ValueTask<Value> InvokeAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, Protocol.StreamItemWriter? stream = null)
    {
        var worker = _worker;
        if (worker.IsDead)
        {
            worker = await NextWorkerAsync(context.CancellationToken).ConfigureAwait(false);
        }

        return await worker.InvokeAsync(endpoint, arguments, context, stream).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await _supervisor.ConfigureAwait(false);
        await _worker.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task<WorkerProcess> NextWorkerAsync(CancellationToken cancellationToken)
    {
        // A call that arrives while the worker restarts waits for the new one, within its deadline.
        var next = Volatile.Read(ref _next);
        if (_failure is { } failure)
        {
            throw new ModulusException(StatusCode.Unavailable, $"module {Info.Name} is failed: {failure}");
        }

        var worker = _worker;
        return worker.IsDead ? await next.Task.WaitAsync(cancellationToken).ConfigureAwait(false) : worker;
    }

    private async Task SuperviseAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            string what;
            try
            {
                what = await _worker.Exited.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (!_stopping.IsCancellationRequested)
            {
                var now = DateTimeOffset.UtcNow;
                _crashes.Enqueue(now);
                while (_crashes.Peek() < now - _options.CrashLoopWindow)
                {
                    _crashes.Dequeue();
                }

                if (_crashes.Count >= _options.CrashLoopCount)
                {
                    _failure = $"its worker died {_crashes.Count} times within {_options.CrashLoopWindow.TotalSeconds:0} s (last: {what}); it is tried again when its files change";
                    WorkerLog.CrashLoop(_logger, Info.Name, _failure);
                    var failed = new ModulusException(StatusCode.Unavailable, $"module {Info.Name} is failed: {_failure}");
                    Volatile.Read(ref _next).TrySetException(failed);
                    return;
                }

                var delay = TimeSpan.FromTicks(Math.Min(_options.MaxRestartDelay.Ticks, _options.RestartDelay.Ticks << Math.Min(_crashes.Count - 1, 20)));
                WorkerLog.Restarting(_logger, Info.Name, (long)delay.TotalMilliseconds, _crashes.Count, _options.CrashLoopCount, _options.CrashLoopWindow.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
                    var started = await _start(_stopping.Token).ConfigureAwait(false);
                    var previous = _worker;
                    _worker = started;
                    await previous.DisposeAsync().ConfigureAwait(false);
                    Interlocked.Exchange(ref _next, new TaskCompletionSource<WorkerProcess>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(started);
                    break;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (ModuleLoadException ex)
                {
                    // A restart that fails counts as another crash.
                    what = ex.Fault.Reason;
                }
            }
        }
    }
}
