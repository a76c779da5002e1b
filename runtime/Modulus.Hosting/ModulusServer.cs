using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Hosting.Transports.Tcp;
using Modulus.Hosting.Transports.Udp;
using Modulus.Runtime;

namespace Modulus.Hosting;

/// <summary>
/// A Modulus host: the module tree of <see cref="ModulusServerOptions.Runtime"/> served over gRPC
/// (with <c>grpc.health.v1</c> and server reflection) on the generic host.
/// </summary>
public sealed class ModulusServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModulusServerOptions _options;

    private readonly Listeners _listeners;

    private ModulusServer(WebApplication app, ModulusServerOptions options, Listeners listeners)
    {
        _app = app;
        _options = options;
        _listeners = listeners;
    }

    /// <summary>The gRPC address the host listens on (<c>grpc://127.0.0.1:7050</c>), once started; null when off.</summary>
    public string? GrpcAddress { get; private set; }

    /// <summary>The raw TCP address (<c>tcp://127.0.0.1:7051</c>), once started; null when off.</summary>
    public string? TcpAddress { get; private set; }

    /// <summary>The UDP address (<c>udp://127.0.0.1:7052</c>), once started; null when off.</summary>
    public string? UdpAddress { get; private set; }

    /// <summary>Every address the host listens on.</summary>
    public IReadOnlyList<string> Addresses => new[] { GrpcAddress, TcpAddress, UdpAddress }.OfType<string>().ToArray();

    /// <summary>The modules served and the folders that failed.</summary>
    public IModuleCatalog Catalog => _app.Services.GetRequiredService<IModuleCatalog>();

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Builds a host; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Addresses, ports, limits and the module tree.</param>
    /// <param name="configureLogging">Adds log providers and filters.</param>
    /// <param name="configureServices">Replaces services the runtime would otherwise default, such as <c>IStakeOracle</c> (how access mode "stake" learns a caller's stake).</param>
    /// <exception cref="ArgumentException">The options name an address that is not an IP address, or switch every transport off.</exception>
    public static ModulusServer Create(ModulusServerOptions options, Action<ILoggingBuilder>? configureLogging = null, Action<IServiceCollection>? configureServices = null)
    {
        if (options.GrpcPort is null && options.TcpPort is null && options.UdpPort is null)
        {
            throw new ArgumentException("Every transport is switched off; give a gRPC, TCP or UDP port (0 picks a free one).");
        }

        if (options.Host != "localhost" && !IPAddress.TryParse(options.Host, out _))
        {
            throw new ArgumentException($"Host \"{options.Host}\" is not an IP address; use e.g. 127.0.0.1, 0.0.0.0 or ::1.");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Modulus", Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        // A failed start (a port in use) reaches the caller as an exception; the generic host's own
        // report of it is a stack trace that says the same thing at length.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        configureLogging?.Invoke(builder.Logging);

        builder.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));

        // Before the runtime, whose defaults (such as the stake oracle) are added only when missing.
        configureServices?.Invoke(builder.Services);
        builder.Services.AddModulusRuntime(runtime =>
        {
            runtime.TreeRoot = options.Runtime.TreeRoot;
            runtime.Watch = options.Runtime.Watch;
            runtime.CacheDirectory = options.Runtime.CacheDirectory;
            runtime.ReloadDebounce = options.Runtime.ReloadDebounce;
            runtime.RescanInterval = options.Runtime.RescanInterval;
            runtime.Python = options.Runtime.Python;
        });
        builder.Services.AddModulusGrpc(options);
        builder.Services.AddSingleton<CallDispatcher>();
        builder.Services.AddSingleton<CallAuthenticator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<UdpTransportService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UdpTransportService>());

        var listeners = new Listeners();
        var address = options.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Host);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // gRPC enforces MaxRequestBytes per message and answers RESOURCE_EXHAUSTED; Kestrel's own
            // body limit would cut the stream instead and the caller would see UNKNOWN.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            if (options.GrpcPort is { } grpcPort)
            {
                kestrel.Listen(address, grpcPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listeners.Grpc = listen;
                });
            }

            if (options.TcpPort is { } tcpPort)
            {
                kestrel.Listen(address, tcpPort, listen =>
                {
                    listen.UseConnectionHandler<TcpConnectionHandler>();
                    listeners.Tcp = listen;
                });
            }
        });

        var app = builder.Build();
        app.MapModulusGrpc();
        return new ModulusServer(app, options, listeners);
    }

    /// <summary>Loads the module tree and starts listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var host = _options.Host.Contains(':') ? $"[{_options.Host}]" : _options.Host;
        // Kestrel reports the port it bound (the free one, when 0 was asked for) on the listen options.
        GrpcAddress = _listeners.Grpc is { } grpc ? $"grpc://{host}:{grpc.IPEndPoint!.Port}" : null;
        TcpAddress = _listeners.Tcp is { } tcp ? $"tcp://{host}:{tcp.IPEndPoint!.Port}" : null;
        UdpAddress = _app.Services.GetRequiredService<UdpTransportService>().LocalEndPoint is { } udp ? $"udp://{host}:{udp.Port}" : null;
        HostingLog.HostReady(_app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ModulusServer>(), stopwatch.ElapsedMilliseconds, string.Join(", ", Addresses));
    }

    /// <summary>Completes when the host is asked to stop (Ctrl+C, SIGTERM, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening and unloads the modules.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The listen options of each transport, read back after binding for the ports chosen.</summary>
    private sealed class Listeners
    {
        public ListenOptions? Grpc { get; set; }

        public ListenOptions? Tcp { get; set; }
    }
}
