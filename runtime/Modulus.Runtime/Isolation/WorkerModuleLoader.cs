using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// Loads a module into a worker process of its own (one worker per module; calls to it run
/// concurrently inside it) and hands back the supervised <see cref="WorkerModule"/>.
/// </summary>
internal sealed class WorkerModuleLoader : IAsyncDisposable
{
    private readonly ModulusRuntimeOptions _options;
    private readonly ILogger<WorkerModuleLoader> _logger;
    private readonly Lazy<IReadOnlyList<string>> _command;
    private readonly Lazy<string> _socketDirectory;

    public WorkerModuleLoader(IOptions<ModulusRuntimeOptions> options, ILogger<WorkerModuleLoader> logger)
    {
        _options = options.Value;
        _logger = logger;
        _command = new(() => WorkerCommand.Resolve(_options.Workers));
        _socketDirectory = new(CreateSocketDirectory);
    }

    public async Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        var (worker, info) = await StartAsync(source, cancellationToken).ConfigureAwait(false);
        return new WorkerModule(source, info, worker, ct => RestartAsync(source, ct), _options.Workers, _logger);
    }

    public ValueTask DisposeAsync()
    {
        if (_socketDirectory.IsValueCreated)
        {
            try
            {
                Directory.Delete(_socketDirectory.Value, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next start's clean-up.
            }
        }

        return ValueTask.CompletedTask;
    }

    private async Task<WorkerProcess> RestartAsync(ModuleSource source, CancellationToken cancellationToken) =>
        (await StartAsync(source, cancellationToken).ConfigureAwait(false)).Worker;

    private Task<(WorkerProcess Worker, Modulus.Sdk.ModuleInfo Info)> StartAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> command;
        try
        {
            command = _command.Value;
        }
        catch (InvalidOperationException ex)
        {
            throw new ModuleLoadException(new ModuleFault(source.Directory, ex.Message));
        }

        return WorkerProcess.StartAsync(source, _options, command, _socketDirectory.Value, _logger, cancellationToken);
    }

    /// <summary>A folder only this user can enter, for the workers' sockets: no other user can connect to a worker.</summary>
    private static string CreateSocketDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"modulus-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
