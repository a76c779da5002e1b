using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Registry.Index;
using Modulus.Registry.Packaging;
using Nethereum.Web3;

namespace Modulus.Registry.Service;

/// <summary>
/// The registry service as a generic host: the chain follower filling the LiteDB index in the
/// background, the package store, and <c>modulus.v1.RegistryService</c> over gRPC.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions[] _listen;
    private readonly RegistryServiceOptions _options;
    private bool _started;

    private RegistryServer(WebApplication app, ListenOptions[] listen, RegistryServiceOptions options)
    {
        _app = app;
        _listen = listen;
        _options = options;
    }

    /// <summary>The address the service answers on, e.g. http://127.0.0.1:7060; set once started.</summary>
    public string? Address { get; private set; }

    public IServiceProvider Services => _app.Services;

    /// <exception cref="ArgumentException">The host is not an IP address.</exception>
    public static RegistryServer Create(RegistryServiceOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        if (options.Host != "localhost" && !IPAddress.TryParse(options.Host, out _))
        {
            throw new ArgumentException($"Host \"{options.Host}\" is not an IP address; use e.g. 127.0.0.1 or 0.0.0.0.");
        }

        Directory.CreateDirectory(options.DataDirectory);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Modulus.Registry", Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        configureLogging?.Invoke(builder.Logging);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IWeb3>(_ => new Web3(options.RpcUrl));
        builder.Services.AddSingleton(_ => new PackageStore(Path.Combine(options.DataDirectory, "packages")));
        builder.Services.AddSingleton<IPackageMetadataSource, StoredPackageMetadata>();
        builder.Services.AddSingleton<UploadQuota>();
        builder.Services.AddSingleton(sp => IndexRecovery.OpenOrRebuild(
            Path.Combine(options.DataDirectory, "index.db"),
            options.Deployment,
            sp.GetRequiredService<IPackageMetadataSource>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Modulus.Registry.Index")));
        builder.Services.AddHostedService(sp => new RegistryIndexerService(
            sp.GetRequiredService<IWeb3>(),
            options.Deployment,
            sp.GetRequiredService<RegistryIndex>(),
            new RegistryIndexerOptions { PollInterval = options.PollInterval, BatchBlocks = options.BatchBlocks, Confirmations = options.Confirmations },
            sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.EnableDetailedErrors = false;
            grpc.MaxReceiveMessageSize = 4 * RegistryClient.ChunkSize;
        });

        var listen = new ListenOptions[1];
        var address = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, options.Port, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            listen[0] = l;
        }));

        var app = builder.Build();
        app.MapGrpcService<RegistryGrpcService>();
        return new RegistryServer(app, listen, options);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // Opened before the host starts, so that a failure to open it (another process holds it,
        // another deployment's file) surfaces as itself rather than from a half-started host.
        _ = _app.Services.GetRequiredService<RegistryIndex>();
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        _started = true;
        var host = _options.Host.Contains(':') ? $"[{_options.Host}]" : _options.Host;
        Address = $"http://{host}:{_listen[0].IPEndPoint!.Port}";
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Stopping a host that never started throws ArgumentNullException and would hide why it did not.
        if (_started)
        {
            await _app.StopAsync().ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
