using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Modulus.Client;
using Modulus.Hosting;

namespace Modulus.Testing;

/// <summary>A real Modulus host on a free loopback port, with a client connected to it.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(ModulusServer server, CapturingLoggerProvider logs)
    {
        Server = server;
        Logs = logs;
        Address = server.GrpcAddress!;
        Client = ModulusClient.Connect(Address);
    }

    public ModulusServer Server { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>grpc://127.0.0.1:PORT</summary>
    public string Address { get; }

    /// <summary>The host's address for each transport: grpc://, tcp:// and udp://.</summary>
    public IReadOnlyList<string> Addresses => Server.Addresses;

    public ModulusClient Client { get; }

    /// <summary>A scope that fails the test on any error the host logs inside it, but those <paramref name="expected"/> accepts.</summary>
    public VerifyNoErrorsScope VerifyNoErrors(Func<(LogLevel Level, string EventName, string Message), bool>? expected = null) => new(Logs, expected);

    public static async Task<TestHost> StartAsync(string treeRoot, string cacheDirectory, bool watch = false, Action<ModulusServerOptions>? configure = null, Action<IServiceCollection>? services = null, Action<Modulus.Runtime.ModulusRuntimeOptions>? runtime = null)
    {
        var logs = new CapturingLoggerProvider();
        var server = ModulusServer.Create(
            options =>
            {
                options.GrpcPort = 0;
                options.TcpPort = 0;
                options.UdpPort = 0;
                options.HttpPort = 0;
                // A host key of the test's own, never the user's $MODULUS_HOME/host.key.
                options.Identity.KeyFile = Path.Combine(cacheDirectory, "host.key");
                configure?.Invoke(options);
            },
            options =>
            {
                options.TreeRoot = treeRoot;
                options.CacheDirectory = cacheDirectory;
                // A module package cache of the test's own: modules restore their NuGet packages from nothing, as on a fresh machine.
                options.PackagesDirectory = Path.Combine(cacheDirectory, "packages");
                options.Watch = watch;
                options.ReloadDebounce = TimeSpan.FromMilliseconds(100);
                runtime?.Invoke(options);
            },
            configureLogging: logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug),
            configureServices: services);
        await server.StartAsync();
        // The host opens its ports at once and loads its modules behind them; tests start once they are in.
        await server.Catalog.ReloadAsync(CancellationToken.None);
        return new TestHost(server, logs);
    }

    public static Task<TestHost> StartAsync(TempTree tree, bool watch = false, Action<ModulusServerOptions>? configure = null, Action<IServiceCollection>? services = null, Action<Modulus.Runtime.ModulusRuntimeOptions>? runtime = null) =>
        StartAsync(tree.Root, tree.CacheDirectory, watch, configure, services, runtime);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
