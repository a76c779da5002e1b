using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Protocol;
using Modulus.Protocol.Worker;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using V1 = Modulus.Protocol.V1;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// One worker process as the host sees it: the process, its socket, and the calls in flight on it.
/// It runs until it exits or is killed; <see cref="WorkerModule"/> starts the next one.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private const int OutputLines = 20;

    /// <summary>The environment variables that carry the host's key or its passphrase: a worker does not inherit them.</summary>
    private static readonly string[] HostSecrets = ["MODULUS_PASSPHRASE", "MODULUS_KEY"];

    private readonly ModuleSource _source;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Process _process;
    private readonly ConcurrentDictionary<ulong, PendingCall> _pending = new();
    private readonly Queue<string> _output = new();
    private readonly TaskCompletionSource<string> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<WorkerMessage?> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string?> _linkClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _serving;
    private volatile bool _retiring;
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _memoryLimitBytes;
    private WorkerChannel? _channel;
    private Task? _reader;
    private Task? _watchdog;
    private Task? _outputReaders;
    private long _nextId;
    private int _released;
    private volatile ModulusException? _death;
    private string? _killReason;
    private StatusCode _killCode = StatusCode.Unavailable;

    private WorkerProcess(ModuleSource source, WorkerOptions options, Process process, ILogger logger)
    {
        _source = source;
        _options = options;
        _process = process;
        _logger = logger;
        var limitMb = source.Manifest.Limits.MemoryMb > 0 ? source.Manifest.Limits.MemoryMb : options.MemoryLimitMb;
        _memoryLimitBytes = limitMb > 0 ? limitMb * 1024L * 1024 : 0;
    }

    public int Pid { get; private set; }

    /// <summary>Completes, with what happened in words, when the process has exited and every call on it has been answered.</summary>
    public Task<string> Exited => _exited.Task;

    /// <summary>Whether the worker is gone (or going).</summary>
    public bool IsDead => _death is not null;

    /// <summary>Starts a worker for <paramref name="source"/> and waits until it has loaded the module.</summary>
    /// <exception cref="ModuleLoadException">The module failed to load, or the worker could not start or died while loading.</exception>
    public static async Task<(WorkerProcess Worker, ModuleInfo Info)> StartAsync(
        ModuleSource source, ModulusRuntimeOptions runtime, IReadOnlyList<string> command, string socketDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var socketPath = Path.Combine(socketDirectory, $"w{Interlocked.Increment(ref s_workerCount)}.sock");
        File.Delete(socketPath);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);

        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = source.Directory,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--socket");
        start.ArgumentList.Add(socketPath);
        // A module has no business with the host's key or its passphrase.
        foreach (var secret in HostSecrets)
        {
            start.Environment.Remove(secret);
        }

        // A worker's GC sizes itself for one module, not for a host.
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_TieredPGO"] = "0";
        // The worker's one socket is read on the thread that polls it: one wake-up per message, not two.
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            File.Delete(socketPath);
            throw new ModuleLoadException(new ModuleFault(source.Directory,
                $"its worker process could not be started ({string.Join(' ', command)}): {ex.Message}; set Modulus:Runtime:Workers:Command to the worker program"));
        }

        var worker = new WorkerProcess(source, runtime.Workers, process, logger) { Pid = process.Id };
        process.StandardInput.Close();
        worker._outputReaders = Task.WhenAll(worker.ReadOutputAsync(process.StandardOutput), worker.ReadOutputAsync(process.StandardError));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(runtime.Workers.StartTimeout);
            Socket connection;
            try
            {
                var accepting = listener.AcceptAsync(timeout.Token).AsTask();
                var first = await Task.WhenAny(accepting, process.WaitForExitAsync(timeout.Token)).ConfigureAwait(false);
                if (first != accepting)
                {
                    await worker.ThrowLoadFailureAsync("exited before it connected").ConfigureAwait(false);
                }

                connection = await accepting.ConfigureAwait(false);
            }
            finally
            {
                File.Delete(socketPath);
            }

            worker._channel = new WorkerChannel(connection);
            worker.StartReading();
            var options = JsonSerializer.Serialize(runtime);
            worker._channel.TrySend(new WorkerMessage
            {
                Load = new Load { Name = source.Name, Directory = source.Directory, Fingerprint = source.Fingerprint, RuntimeOptionsJson = options },
            });

            var answer = await worker._loaded.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            switch (answer?.BodyCase)
            {
                case WorkerMessage.BodyOneofCase.Ready:
                    break;
                case WorkerMessage.BodyOneofCase.LoadFailed:
                    await worker.DisposeAsync().ConfigureAwait(false);
                    throw new ModuleLoadException(new ModuleFault(answer.LoadFailed.Path, answer.LoadFailed.Reason));
                default:
                    await worker.ThrowLoadFailureAsync("died while loading the module").ConfigureAwait(false);
                    break;
            }

            var info = CallMapper.FromMessage(answer!.Ready.Module);
            worker._serving = true;
            worker._watchdog = worker._memoryLimitBytes > 0 ? worker.WatchMemoryAsync() : Task.CompletedTask;
            WorkerLog.Started(logger, source.Name, worker.Pid, stopwatch.ElapsedMilliseconds);
            return (worker, info);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await worker.KillAsync().ConfigureAwait(false);
            throw new ModuleLoadException(new ModuleFault(source.Directory,
                $"its worker did not load the module within {runtime.Workers.StartTimeout.TotalSeconds:0} s (Modulus:Runtime:Workers:StartTimeout){worker.OutputTail()}"));
        }
        catch (Exception) when (!worker._serving)
        {
            await worker.KillAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs one call in the worker.</summary>
    /// <exception cref="OperationCanceledException">The call's token fired (its deadline, or its caller left); the worker was told to stop it.</exception>
    /// <exception cref="ModulusException">The module's error, or UNAVAILABLE / RESOURCE_EXHAUSTED when the worker died under the call.</exception>
    public async ValueTask<Value> InvokeAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, Protocol.StreamItemWriter? stream = null)
    {
        if (_death is { } dead)
        {
            throw dead;
        }

        var id = (ulong)Interlocked.Increment(ref _nextId);
        var invoke = new Invoke
        {
            Id = id,
            Endpoint = endpoint.Name,
            DeadlineUnixMs = context.Deadline?.ToUnixTimeMilliseconds() ?? 0,
            RequestId = context.RequestId,
            Caller = context.Caller ?? string.Empty,
            Stream = stream is not null,
            Window = stream is null ? 0u : (uint)Math.Max(1, _options.StreamWindow),
        };
        foreach (var argument in arguments)
        {
            invoke.Arguments.Add(argument is null ? new Argument() : new Argument { Value = ValueMapper.ToMessage(argument) });
        }

        var pending = new PendingCall($"{_source.Name}/{endpoint.Name}", streaming: stream is not null);
        _pending[id] = pending;
        if (_death is { } died || !_channel!.TrySend(new WorkerMessage { Invoke = invoke }))
        {
            _pending.TryRemove(id, out _);
            throw _death ?? new ModulusException(StatusCode.Unavailable, $"{_source.Name}'s worker is stopping; retry");
        }

        try
        {
            if (stream is not null)
            {
                await PassOnAsync(id, pending, stream, invoke.Window, context.CancellationToken).ConfigureAwait(false);
            }

            return await pending.Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && _pending.ContainsKey(id))
        {
            // The stream failed on the host's side (the caller's connection broke, an item could not
            // be read) while the worker still produces: it stops.
            _channel.TrySend(new WorkerMessage { Cancel = new Cancel { Id = id } });
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // Answer now; the worker stops the call. One that goes on past the grace period is taken
            // down with its worker, which then restarts.
            if (_pending.ContainsKey(id))
            {
                _channel.TrySend(new WorkerMessage { Cancel = new Cancel { Id = id } });
                pending.StartGrace(_options.CancelGrace, () => Kill(
                    StatusCode.Unavailable,
                    $"was killed because {pending.Target} did not stop within {_options.CancelGrace.TotalMilliseconds:0} ms of being cancelled (Modulus:Runtime:Workers:CancelGrace)"));
            }

            throw;
        }
    }

    /// <summary>
    /// Passes a stream's items on in order as the worker sends them, and grants the worker more
    /// credit as they go, half a window at a time, so that it never has more than a window queued
    /// here. Returns when the worker's result has arrived, after its last item.
    /// </summary>
    private async Task PassOnAsync(ulong id, PendingCall pending, Protocol.StreamItemWriter stream, uint window, CancellationToken cancellationToken)
    {
        var batch = Math.Max(1u, window / 2);
        uint passed = 0;
        var items = pending.Items!;
        while (await items.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (items.TryRead(out var item))
            {
                await stream(item, cancellationToken).ConfigureAwait(false);
                if (++passed == batch)
                {
                    passed = 0;
                    _channel!.TrySend(new WorkerMessage { Credit = new Credit { Id = id, Items = batch } });
                }
            }
        }
    }

    /// <summary>Kills the worker; every call on it ends with <paramref name="code"/> and the reason.</summary>
    public void Kill(StatusCode code, string reason)
    {
        if (Interlocked.CompareExchange(ref _killReason, reason, null) is not null)
        {
            return;
        }

        _killCode = code;
        WorkerLog.Killed(_logger, _source.Name, Pid, reason);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }

    /// <summary>Closes the worker's socket so that it exits once its calls are done, and kills it if it has not after the stop timeout.</summary>
    public async ValueTask DisposeAsync()
    {
        _retiring = true;
        _channel?.Complete();
        try
        {
            await _process.WaitForExitAsync(new CancellationTokenSource(_options.StopTimeout).Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(StatusCode.Unavailable, $"did not exit within {_options.StopTimeout.TotalSeconds:0} s of being stopped");
        }

        await KillAsync().ConfigureAwait(false);
    }

    private async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        foreach (var task in new[] { _reader, _watchdog, _outputReaders })
        {
            if (task is not null)
            {
                await task.ConfigureAwait(false);
            }
        }

        _channel?.Dispose();
        _process.Dispose();
        _stopping.Dispose();
    }

    private async Task ThrowLoadFailureAsync(string what)
    {
        try
        {
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token).ConfigureAwait(false);
            await _outputReaders!.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // Described as it stands.
        }

        var fault = new ModuleFault(_source.Directory, $"its worker {what}: {DescribeExit()}{OutputTail()}");
        await KillAsync().ConfigureAwait(false);
        throw new ModuleLoadException(fault);
    }

    /// <summary>
    /// Reads the worker's messages on a thread of this link's own (blocked in the socket, woken by the
    /// kernel): results complete their calls here, and the caller's code continues on this thread up to
    /// the transport's send queue (host code only, never a module's).
    /// </summary>
    private void StartReading()
    {
        var thread = new Thread(ReadLoop) { IsBackground = true, Name = $"modulus worker link {Pid}" };
        _reader = WatchAsync();
        thread.Start();
    }

    private void ReadLoop()
    {
        string? linkError = null;
        try
        {
            while (_channel!.Receive() is { } message)
            {
                switch (message.BodyCase)
                {
                    case WorkerMessage.BodyOneofCase.Item:
                        if (_pending.TryGetValue(message.Item.Id, out var streaming))
                        {
                            streaming.Add(message.Item.Value);
                        }

                        break;
                    case WorkerMessage.BodyOneofCase.Result:
                        if (_pending.TryRemove(message.Result.Id, out var pending))
                        {
                            pending.Complete(message.Result);
                        }

                        break;
                    case WorkerMessage.BodyOneofCase.Log:
                        Relog(message.Log);
                        break;
                    case WorkerMessage.BodyOneofCase.Ready or WorkerMessage.BodyOneofCase.LoadFailed:
                        _loaded.TrySetResult(message);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or SocketException)
        {
            linkError = ex.Message;
        }

        _loaded.TrySetResult(null);
        _linkClosed.TrySetResult(linkError);
    }

    /// <summary>Waits for the link to close, then fails what is still in flight with what happened.</summary>
    private async Task WatchAsync()
    {
        var linkError = await _linkClosed.Task.ConfigureAwait(false);

        // The socket is closed: the process has exited or is about to. Its exit status says why.
        try
        {
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(StatusCode.Unavailable, linkError is null ? "closed its socket but did not exit" : $"broke its link ({linkError})");
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        try
        {
            await _outputReaders!.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A grandchild holds the pipes open; the tail so far is enough.
        }

        var what = _killReason ?? DescribeExit();
        var death = new ModulusException(_killReason is null ? StatusCode.Unavailable : _killCode,
            $"{_source.Name}'s worker (pid {Pid}) {what}{OutputTail()}; it is restarted");
        _death = death;
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Fail(death);
            }
        }

        if (_serving && !_retiring && !_stopping.IsCancellationRequested)
        {
            WorkerLog.Died(_logger, _source.Name, Pid, what, OutputTail());
        }

        _exited.TrySetResult(what + OutputTail());
    }

    /// <summary>Logs a worker's record as the host's own, with its level, event and message.</summary>
    private void Relog(LogRecord record)
    {
        var level = (LogLevel)record.Level;
        if (!_logger.IsEnabled(level))
        {
            return;
        }

        var text = record.Exception.Length == 0 ? record.Message : $"{record.Message}{Environment.NewLine}{record.Exception}";
        _logger.Log(level, new EventId(record.EventId, record.EventName), text, null, static (message, _) => message);
    }

    private async Task WatchMemoryAsync()
    {
        using var timer = new PeriodicTimer(_options.MemoryPollInterval);
        var statm = $"/proc/{Pid}/statm";
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false) && _death is null)
            {
                long resident;
                try
                {
                    var fields = (await File.ReadAllTextAsync(statm, _stopping.Token).ConfigureAwait(false)).Split(' ');
                    resident = long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
                {
                    return;
                }

                if (resident > _memoryLimitBytes)
                {
                    Kill(StatusCode.ResourceExhausted,
                        $"was killed: it used {resident / (1024 * 1024)} MiB, over its memory limit of {_memoryLimitBytes / (1024 * 1024)} MiB (limits.memory_mb, or Modulus:Runtime:Workers:MemoryLimitMb)");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReadOutputAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_output)
                {
                    _output.Enqueue(line.Length > 500 ? line[..500] + "…" : line);
                    if (_output.Count > OutputLines)
                    {
                        _output.Dequeue();
                    }
                }

                WorkerLog.Output(_logger, _source.Name, Pid, line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    private string DescribeExit()
    {
        if (!_process.HasExited)
        {
            return "stopped answering";
        }

        var code = _process.ExitCode;
        // The runtime reports a death by signal N as 128 + N.
        return code > 128 && code < 160
            ? $"was killed by signal {code - 128}{SignalName(code - 128)}"
            : $"exited with code {code}";
    }

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => string.Empty,
    };

    private string OutputTail()
    {
        lock (_output)
        {
            var lines = _output.Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(5).ToArray();
            return lines.Length == 0 ? string.Empty : $"; its last output: {string.Join(" | ", lines)}";
        }
    }

    private static int s_workerCount;

    /// <summary>A call in flight: completed by its result, or failed when the worker dies.</summary>
    private sealed class PendingCall(string target, bool streaming)
    {
        // The caller's continuation runs on the link's reader (the host's own code from here to the
        // transport's send queue, no module code): one thread hop less per call.
        private readonly TaskCompletionSource<Value> _completion = new();
        private Timer? _grace;

        public string Target { get; } = target;

        public Task<Value> Task => _completion.Task;

        /// <summary>
        /// A streamed answer's items, in order, until its result. Unbounded as a channel, bounded by
        /// the credit the host grants: the link's reader must never wait on one slow caller.
        /// </summary>
        private readonly System.Threading.Channels.Channel<Value>? _items = streaming
            ? System.Threading.Channels.Channel.CreateUnbounded<Value>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, SingleWriter = true })
            : null;

        public System.Threading.Channels.ChannelReader<Value>? Items => _items?.Reader;

        public void Add(V1.Value item)
        {
            if (_items is null)
            {
                return;
            }

            try
            {
                _items.Writer.TryWrite(ValueMapper.FromMessage(item));
            }
            catch (ModulusException ex)
            {
                _items.Writer.TryComplete(new ModulusException(StatusCode.Internal, $"{Target} streamed a value the host cannot read: {ex.Message}"));
            }
        }

        public void StartGrace(TimeSpan grace, Action expired)
        {
            _grace = new Timer(static state => ((Action)state!)(), expired, grace, Timeout.InfiniteTimeSpan);
            if (_completion.Task.IsCompleted)
            {
                _grace.Dispose();
            }
        }

        public void Complete(Result result)
        {
            _grace?.Dispose();
            if (result.OutcomeCase == Result.OutcomeOneofCase.Error)
            {
                _items?.Writer.TryComplete(new ModulusException((StatusCode)result.Error.Code, result.Error.Message));
            }
            else
            {
                _items?.Writer.TryComplete();
            }

            if (result.OutcomeCase == Result.OutcomeOneofCase.Value)
            {
                try
                {
                    _completion.TrySetResult(ValueMapper.FromMessage(result.Value));
                }
                catch (ModulusException ex)
                {
                    _completion.TrySetException(new ModulusException(StatusCode.Internal, $"{Target} returned a value the host cannot read: {ex.Message}"));
                }
            }
            else
            {
                _completion.TrySetException(new ModulusException((StatusCode)result.Error.Code, result.Error.Message));
            }
        }

        public void Fail(ModulusException death)
        {
            _grace?.Dispose();
            _items?.Writer.TryComplete(death);
            _completion.TrySetException(death);
        }
    }
}
