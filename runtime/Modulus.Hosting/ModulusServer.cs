using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Hosting.Internal;
using Modulus.Hosting.Transports.Udp;
using Modulus.Runtime;

namespace Modulus.Hosting;

/// <summary>
/// A stand-alone Modulus host: a web application with <c>AddModulus()</c>, the three Modulus
/// transports and the OpenAI-compatible HTTP API, nothing else. Applications that have a host of their own call <c>AddModulus()</c> on it instead.
/// </summary>
public sealed class ModulusServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ModulusServer(WebApplication app) => _app = app;

    /// <summary>The gRPC address the host listens on (<c>grpc://127.0.0.1:7050</c>), once started; null when off.</summary>
    public string? GrpcAddress { get; private set; }

    /// <summary>The raw TCP address (<c>tcp://127.0.0.1:7051</c>), once started; null when off.</summary>
    public string? TcpAddress { get; private set; }

    /// <summary>The UDP address (<c>udp://127.0.0.1:7052</c>), once started; null when off.</summary>
    public string? UdpAddress { get; private set; }

    /// <summary>
    /// The OpenAI-compatible HTTP API's address (<c>http://127.0.0.1:7053</c>), once started; null when
    /// off. OpenAI clients take it with <c>/v1</c> as their base URL.
    /// </summary>
    public string? HttpAddress { get; private set; }

    /// <summary>Every address a Modulus client can call the host at (gRPC, TCP, UDP; not <see cref="HttpAddress"/>, which speaks OpenAI's API).</summary>
    public IReadOnlyList<string> Addresses => new[] { GrpcAddress, TcpAddress, UdpAddress }.OfType<string>().ToArray();

    /// <summary>The modules served and the folders that failed.</summary>
    public IModuleCatalog Catalog => _app.Services.GetRequiredService<IModuleCatalog>();

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Builds a host; nothing listens until <see cref="StartAsync"/>, which also validates the options.</summary>
    /// <param name="configure">The host's options, applied over the configuration's <c>Modulus</c> section.</param>
    /// <param name="configureRuntime">The runtime's options (tree, cache, Python), applied over <c>Modulus:Runtime</c>.</param>
    /// <param name="configuration">Configuration to bind from (appsettings, environment, flags), if any.</param>
    /// <param name="configureLogging">Adds log providers and filters.</param>
    /// <param name="configureServices">Replaces services the runtime would otherwise default, such as <c>IStakeOracle</c>.</param>
    public static ModulusServer Create(
        Action<ModulusServerOptions>? configure = null,
        Action<ModulusRuntimeOptions>? configureRuntime = null,
        IConfiguration? configuration = null,
        Action<ILoggingBuilder>? configureLogging = null,
        Action<IServiceCollection>? configureServices = null)
    {
        // No appsettings.json or environment of its own: whoever composes the host passes the configuration.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Modulus", Args = [] });
        builder.WebHost.UseKestrelCore();
        if (configuration is not null)
        {
            builder.Configuration.AddConfiguration(configuration);
        }

        builder.Services.AddRouting();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        // A failed start (a port in use) reaches the caller as an exception; the generic host's own
        // report of it is a stack trace that says the same thing at length.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
        configureLogging?.Invoke(builder.Logging);

        // Before the runtime, whose defaults (such as the stake oracle) are added only when missing.
        configureServices?.Invoke(builder.Services);
        builder.Services.AddModulus(configure).AddGrpcTransport().AddTcpTransport().AddUdpTransport().AddHttpTransport();
        if (configureRuntime is not null)
        {
            builder.Services.Configure(configureRuntime);
        }

        var app = builder.Build();
        app.UseRouting();
        app.MapModulus();
        return new ModulusServer(app);
    }

    /// <summary>Validates the options, loads the module tree and starts listening.</summary>
    /// <exception cref="OptionsValidationException">An option is invalid; the message names it.</exception>
    /// <exception cref="IOException">A port cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var options = _app.Services.GetRequiredService<IOptions<ModulusServerOptions>>().Value;
        var listeners = _app.Services.GetRequiredService<ModulusListeners>();
        var host = options.Host.Contains(':') ? $"[{options.Host}]" : options.Host;
        // Kestrel reports the port it bound (the free one, when 0 was asked for) on the listen options.
        GrpcAddress = listeners.Grpc is { } grpc ? $"grpc://{host}:{grpc.IPEndPoint!.Port}" : null;
        TcpAddress = listeners.Tcp is { } tcp ? $"tcp://{host}:{tcp.IPEndPoint!.Port}" : null;
        UdpAddress = _app.Services.GetRequiredService<UdpTransportService>().LocalEndPoint is { } udp ? $"udp://{host}:{udp.Port}" : null;
        HttpAddress = listeners.Http is { } http ? $"http://{host}:{http.IPEndPoint!.Port}" : null;
        HostingLog.HostReady(_app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ModulusServer>(), stopwatch.ElapsedMilliseconds, string.Join(", ", HttpAddress is null ? Addresses : [.. Addresses, HttpAddress]));
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
}
