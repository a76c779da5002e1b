using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Worker;
using Modulus.Runtime.CSharp;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Python;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// The program a worker process runs: connects to the host's socket, loads the one module the host
/// names, and runs its calls until the host goes away. The <c>Modulus.Worker</c> program and the
/// CLI's hidden <c>modulus worker</c> verb are this and nothing else.
/// </summary>
public static class ModulusWorker
{
    /// <summary>The threads a worker has ready for calls that block.</summary>
    private const int MinThreads = 256;

    /// <summary>Runs a worker; returns only when the host has closed its socket (or the arguments are wrong).</summary>
    /// <param name="args"><c>--socket PATH</c>: the host's Unix domain socket for this worker.</param>
    /// <param name="addLoaders">
    /// Adds the loaders of languages beyond C# and Python, which live in assemblies of their own
    /// (the gguf loader's <c>AddGgufModules</c>): the worker programs add them, so that what they
    /// bring (llama.cpp's native libraries) is loaded in workers and never in a host.
    /// </param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, Action<IServiceCollection>? addLoaders = null)
    {
        var at = args is [.., "--socket", _] ? args.Count - 1 : -1;
        if (at < 0)
        {
            await Console.Error.WriteLineAsync("modulus worker is started by a Modulus host, as: worker --socket PATH").ConfigureAwait(false);
            return 2;
        }

        // Calls run on the worker's own call threads (WorkerServer); the pool runs async module code,
        // and calls beyond the call threads: have its threads at once rather than at the pool's pace.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, MinThreads), io);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(args[at])).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            await Console.Error.WriteLineAsync($"modulus worker: cannot connect to the host at {args[at]}: {ex.Message}").ConfigureAwait(false);
            socket.Dispose();
            return 2;
        }

        var channel = new WorkerChannel(socket);
        WorkerMessage? first;
        try
        {
            first = channel.Receive();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or SocketException)
        {
            await Console.Error.WriteLineAsync($"modulus worker: the host's first message could not be read: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        if (first?.Load is not { } load)
        {
            await Console.Error.WriteLineAsync("modulus worker: the host did not name a module to load").ConfigureAwait(false);
            return 2;
        }

        var options = JsonSerializer.Deserialize<ModulusRuntimeOptions>(load.RuntimeOptionsJson) ?? new ModulusRuntimeOptions();
        await using var services = CreateServices(options, channel, addLoaders);
        var server = ActivatorUtilities.CreateInstance<WorkerServer>(services, channel);
        await server.RunAsync(load).ConfigureAwait(false);

        // The host has gone (or closed this worker): leave at once. A module thread that ignores its
        // cancellation, or an interpreter holding its lock, must not keep the process alive.
        ExitNow(0);
        return 0;
    }

    /// <summary>The services a worker loads modules with: the language loaders, each owning its engine.</summary>
    private static ServiceProvider CreateServices(ModulusRuntimeOptions options, WorkerChannel channel, Action<IServiceCollection>? addLoaders)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new WorkerLoggerProvider(channel)).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton<IOptions<ModulusRuntimeOptions>>(Options.Create(options));
        services.AddSingleton<CSharpCompiler>();
        services.AddSingleton<PythonInterpreter>();
        services.AddSingleton<IModuleLoader, CSharpModuleLoader>();
        services.AddSingleton<IModuleLoader, PythonModuleLoader>();
        addLoaders?.Invoke(services);
        return services.BuildServiceProvider();
    }

    private static void ExitNow(int code)
    {
        Console.Error.Flush();
        _exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void _exit(int status);
}
