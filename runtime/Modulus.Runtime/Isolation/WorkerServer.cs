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
/// The worker's side of the link: loads the module, then runs each call on the thread pool (never on
/// the loop that reads the socket), cancels it when the host says so, and answers every call once.
/// </summary>
internal sealed class WorkerServer(WorkerChannel channel, IEnumerable<IModuleLoader> loaders, ILogger<WorkerServer> logger)
{
    private readonly ConcurrentDictionary<ulong, RunningCall> _calls = new();

    public async Task RunAsync(Load load)
    {
        var module = await LoadAsync(load).ConfigureAwait(false);
        if (module is null)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            return;
        }

        while (true)
        {
            WorkerMessage? message;
            try
            {
                message = await channel.ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                WorkerLog.LinkFailed(logger, ex.Message);
                break;
            }

            if (message is null)
            {
                break;
            }

            switch (message.BodyCase)
            {
                case WorkerMessage.BodyOneofCase.Invoke:
                    Start(module, message.Invoke);
                    break;
                case WorkerMessage.BodyOneofCase.Cancel:
                    if (_calls.TryGetValue(message.Cancel.Id, out var call))
                    {
                        call.Cancel();
                    }

                    break;
            }
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

    private void Start(LoadedModule module, Invoke invoke)
    {
        var call = new RunningCall(invoke.Id, invoke.DeadlineUnixMs);
        if (!_calls.TryAdd(invoke.Id, call))
        {
            Answer(invoke.Id, StatusCode.Internal, $"call id {invoke.Id} is already running in this worker");
            return;
        }

        // Module code never runs on the loop that reads the socket: a call that blocks its thread
        // would stop every other call and every cancellation.
        call.Task = Task.Run(() => RunAsync(module, invoke, call), CancellationToken.None);
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
            var result = await module.InvokeAsync(endpoint, arguments, context).ConfigureAwait(false);
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

    private void Answer(ulong id, StatusCode code, string message) =>
        channel.TrySend(new WorkerMessage { Result = new Result { Id = id, Error = new V1.Error { Code = (int)code, Message = CallMapper.BoundMessage(message) } } });

    /// <summary>A call running in this worker: its cancellation, which fires at its deadline too.</summary>
    private sealed class RunningCall : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();

        public RunningCall(ulong id, long deadlineUnixMs)
        {
            Id = id;
            if (deadlineUnixMs > 0)
            {
                // The host sends a cancel at the deadline; this stops the call even if that message is late.
                var remaining = DateTimeOffset.FromUnixTimeMilliseconds(deadlineUnixMs) - DateTimeOffset.UtcNow;
                _cancellation.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
        }

        public ulong Id { get; }

        public CancellationToken Token => _cancellation.Token;

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

        public void Dispose() => _cancellation.Dispose();
    }
}
