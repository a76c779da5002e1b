using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Modulus.Modules;
using Modulus.Protocol;
using Modulus.Protocol.Worker;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using V1 = Modulus.Protocol.V1;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// The worker's side of the link: loads the module, then reads and runs calls on threads that take
/// turns at the socket (a call never runs while its thread holds the turn), cancels a call when the
/// host says so, and answers every call once.
/// </summary>
internal sealed class WorkerServer(WorkerChannel channel, IEnumerable<IModuleLoader> loaders, ILogger<WorkerServer> logger)
{
    private readonly ConcurrentDictionary<ulong, RunningCall> _calls = new();

    /// <summary>The most threads that read and run calls; beyond it a call waits for the pool.</summary>
    private const int MaxThreads = 256;

    private readonly SemaphoreSlim _readTurn = new(1, 1);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoadedModule _module = null!;
    private int _threads;
    private int _waiting;
    private volatile bool _closed;

    public async Task RunAsync(Load load)
    {
        var module = await LoadAsync(load).ConfigureAwait(false);
        if (module is null)
        {
            channel.Complete();
            return;
        }

        _module = module;
        StartThread();
        await _ended.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Threads take turns to read the socket (leader/follower): the one that reads a call hands the
    /// turn on and runs the call itself, so a call costs no hand-off to another thread; a new thread
    /// starts when none is left waiting for the turn, so cancels and other calls are always read.
    /// </summary>
    private void StartThread()
    {
        Interlocked.Increment(ref _threads);
        Interlocked.Increment(ref _waiting);
        new Thread(Serve) { IsBackground = true, Name = "modulus worker call" }.Start();
    }

    private void Serve()
    {
        while (true)
        {
            _readTurn.Wait();
            if (_closed)
            {
                _readTurn.Release();
                return;
            }

            WorkerMessage? message;
            try
            {
                message = channel.Receive();
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or System.Net.Sockets.SocketException)
            {
                WorkerLog.LinkFailed(logger, ex.Message);
                message = null;
            }

            if (message is null)
            {
                // The host has gone (or closed this worker).
                _closed = true;
                _readTurn.Release();
                _ended.TrySetResult();
                return;
            }

            if (message.BodyCase != WorkerMessage.BodyOneofCase.Invoke)
            {
                if (message.Cancel is { } cancel && _calls.TryGetValue(cancel.Id, out var running))
                {
                    running.Cancel();
                }
                else if (message.Credit is { } credit && _calls.TryGetValue(credit.Id, out var streaming))
                {
                    streaming.Grant(credit.Items);
                }

                _readTurn.Release();
                continue;
            }

            var call = Register(message.Invoke);
            if (call is null)
            {
                _readTurn.Release();
                continue;
            }

            if (Interlocked.Decrement(ref _waiting) == 0)
            {
                if (Volatile.Read(ref _threads) < MaxThreads)
                {
                    StartThread();
                }
                else
                {
                    // Every thread is busy: this one keeps the turn's place and the pool runs the call.
                    Interlocked.Increment(ref _waiting);
                    _readTurn.Release();
                    call.Task = Task.Run(() => RunAsync(_module, message.Invoke, call), CancellationToken.None);
                    continue;
                }
            }

            _readTurn.Release();
            // Module code runs here, never while holding the turn: the next message is being read meanwhile.
            RunAsync(_module, message.Invoke, call).GetAwaiter().GetResult();
            Interlocked.Increment(ref _waiting);
        }
    }

    private async Task<LoadedModule?> LoadAsync(Load load)
    {
        var directory = load.Directory;
        try
        {
            var manifest = ModuleManifestReader.Read(directory);
            var source = new ModuleSource(manifest, load.Name, directory, load.Fingerprint);
            var loader = loaders.FirstOrDefault(l => l.Language == manifest.Language)
                ?? throw new ModuleLoadException(new ModuleFault(source.ManifestPath, $"no loader for language \"{manifest.Language}\""));
            var module = await loader.LoadAsync(source, CancellationToken.None).ConfigureAwait(false);
            channel.TrySend(new WorkerMessage { Ready = new Ready { Module = CallMapper.ToMessage(module.Info) } });
            return module;
        }
        catch (ModuleManifestException ex)
        {
            channel.TrySend(new WorkerMessage { LoadFailed = new LoadFailed { Path = ex.Path, Reason = ex.Message } });
        }
        catch (ModuleLoadException ex)
        {
            channel.TrySend(new WorkerMessage { LoadFailed = new LoadFailed { Path = ex.Fault.Path, Reason = ex.Fault.Reason } });
        }
        catch (Exception ex)
        {
            channel.TrySend(new WorkerMessage { LoadFailed = new LoadFailed { Path = directory, Reason = $"could not be loaded: {ex.GetType().Name}: {ex.Message}" } });
        }

        return null;
    }

    private RunningCall? Register(Invoke invoke)
    {
        var call = new RunningCall(invoke.DeadlineUnixMs, invoke.Stream ? Math.Max(1, (int)invoke.Window) : 0);
        if (!_calls.TryAdd(invoke.Id, call))
        {
            call.Dispose();
            Answer(invoke.Id, StatusCode.Internal, $"call id {invoke.Id} is already running in this worker");
            return null;
        }

        return call;
    }

    private async Task RunAsync(LoadedModule module, Invoke invoke, RunningCall call)
    {
        var target = $"{module.Info.Name}/{invoke.Endpoint}";
        try
        {
            if (!module.TryGetEndpoint(invoke.Endpoint, out var endpoint))
            {
                throw new ModulusException(StatusCode.NotFound, $"module {module.Info.Name} has no endpoint \"{invoke.Endpoint}\"");
            }

            var arguments = new Value?[invoke.Arguments.Count];
            for (var i = 0; i < arguments.Length; i++)
            {
                arguments[i] = invoke.Arguments[i].Value is { } value ? ValueMapper.FromMessage(value) : null;
            }

            var context = new CallContext
            {
                Module = module.Info.Name,
                Endpoint = endpoint.Name,
                RequestId = invoke.RequestId,
                Caller = string.IsNullOrEmpty(invoke.Caller) ? null : invoke.Caller,
                Deadline = invoke.DeadlineUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(invoke.DeadlineUnixMs) : null,
                CancellationToken = call.Token,
            };
            var result = await module.InvokeAsync(endpoint, arguments, context, invoke.Stream ? StreamTo(invoke.Id, target, call) : null).ConfigureAwait(false);
            if (ValueDepth.Exceeds(result, ValueMapper.MaxDepth))
            {
                throw new ModulusException(StatusCode.Internal, $"{target} returned a value nested deeper than {ValueMapper.MaxDepth} levels (lists and maps); values nest at most {ValueMapper.MaxDepth} levels");
            }

            channel.TrySend(new WorkerMessage { Result = new Result { Id = invoke.Id, Value = ValueMapper.ToMessage(result) } });
        }
        catch (OperationCanceledException) when (call.Token.IsCancellationRequested)
        {
            Answer(invoke.Id, StatusCode.Cancelled, $"{target} was stopped");
        }
        catch (ModulusException ex)
        {
            Answer(invoke.Id, ex.Code, ex.Message);
        }
        catch (Exception ex)
        {
            // The edge of module code: whatever a module throws becomes INTERNAL with its message.
            WorkerLog.EndpointFailed(logger, target, ex);
            Answer(invoke.Id, StatusCode.Internal, $"{target} threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            _calls.TryRemove(invoke.Id, out _);
            call.Dispose();
        }
    }

    /// <summary>
    /// Sends a stream's items to the host as the module makes them, each once the host has granted
    /// credit for it: a module that produces faster than its caller reads waits here.
    /// </summary>
    private Protocol.StreamItemWriter StreamTo(ulong id, string target, RunningCall call) => async (item, cancellationToken) =>
    {
        await call.Credit!.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (ValueDepth.Exceeds(item, ValueMapper.MaxDepth))
        {
            throw new ModulusException(StatusCode.Internal, $"{target} streamed a value nested deeper than {ValueMapper.MaxDepth} levels (lists and maps); values nest at most {ValueMapper.MaxDepth} levels");
        }

        if (!channel.TrySend(new WorkerMessage { Item = new Item { Id = id, Value = ValueMapper.ToMessage(item) } }))
        {
            throw new OperationCanceledException("the host has gone");
        }
    };

    private void Answer(ulong id, StatusCode code, string message) =>
        channel.TrySend(new WorkerMessage { Result = new Result { Id = id, Error = new V1.Error { Code = (int)code, Message = CallMapper.BoundMessage(message) } } });

    /// <summary>A call running in this worker: its cancellation, which fires at its deadline too.</summary>
    private sealed class RunningCall : IDisposable
    {
        private static readonly TimeSpan LateCancel = TimeSpan.FromMilliseconds(100);

        private readonly CancellationTokenSource _cancellation = new();

        public RunningCall(long deadlineUnixMs, int window)
        {
            Credit = window > 0 ? new SemaphoreSlim(window) : null;
            if (deadlineUnixMs > 0)
            {
                // The host sends a cancel at the deadline; this stops the call even if that message is
                // late, a little after the deadline so that the host's own answer comes first.
                var remaining = DateTimeOffset.FromUnixTimeMilliseconds(deadlineUnixMs) + LateCancel - DateTimeOffset.UtcNow;
                _cancellation.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
        }


        public CancellationToken Token => _cancellation.Token;

        /// <summary>For a streamed answer: the items the host will take before it grants more.</summary>
        public SemaphoreSlim? Credit { get; }

        public void Grant(uint items)
        {
            try
            {
                Credit?.Release((int)Math.Min(items, 1024));
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SemaphoreFullException)
            {
                // The call has ended, or the host granted more than it was owed: nothing to do.
            }
        }

        public Task? Task { get; set; }

        public void Cancel()
        {
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call finished as the cancel arrived.
            }
        }

        public void Dispose()
        {
            _cancellation.Dispose();
            Credit?.Dispose();
        }
    }
}
