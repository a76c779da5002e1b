using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Modulus.Hosting.Internal;
using Microsoft.AspNetCore.Hosting;
using Modulus.Hosting.Transports.Grpc;
using Modulus.Hosting.Transports.OpenAi;
using Modulus.Hosting.Transports.Tcp;
using Modulus.Hosting.Transports.Udp;
using Modulus.Runtime;

namespace Modulus.Hosting;

/// <summary>Adds a Modulus host to any generic host: <c>builder.Services.AddModulus().AddGrpcTransport().AddTcpTransport()</c> (and <c>.AddUdpTransport()</c>, <c>.AddHttpTransport()</c>).</summary>
public static class ModulusServiceCollectionExtensions
{
    /// <summary>The configuration section the host's options are bound from (<c>Modulus__GrpcPort</c> in the environment).</summary>
    public const string SectionName = "Modulus";

    /// <summary>
    /// Adds the module runtime (options from <c>Modulus:Runtime</c>) and the call pipeline every
    /// transport shares (options from <c>Modulus</c>, validated when the host starts). Add transports
    /// to the builder it returns, and map gRPC with <c>app.MapModulus()</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Applied after the configuration is bound: code wins over configuration.</param>
    public static IModulusBuilder AddModulus(this IServiceCollection services, Action<ModulusServerOptions>? configure = null)
    {
        var options = services.AddOptions<ModulusServerOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<ModulusServerOptions>>(sp => new ConfigurationBinding<ModulusServerOptions>(sp, SectionName));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModulusServerOptions>, ModulusServerOptionsValidator>());
        services.AddModulusRuntime();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HostKey>();
        services.TryAddSingleton<CallAuthenticator>();
        services.TryAddSingleton<CallDispatcher>();
        // Paid calls: a host without a chain refuses them; `modulus serve` (or an application) replaces the gate.
        services.TryAddSingleton(sp => sp.GetRequiredService<HostKey>().Identity);
        services.TryAddSingleton<ModulusListeners>();
        services.TryAddSingleton<ConnectionBudget>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, ModulusKestrelSetup>());
        return new ModulusBuilder(services);
    }
}

/// <summary>The transports of a Modulus host.</summary>
public static class ModulusBuilderExtensions
{
    /// <summary>
    /// Serves <c>modulus.v1.ModuleService</c>, <c>grpc.health.v1.Health</c> and server reflection;
    /// on a listener of its own at <see cref="ModulusServerOptions.GrpcPort"/> when that is set, and
    /// on the application's own HTTP/2 endpoints wherever <c>app.MapModulus()</c> maps it.
    /// </summary>
    public static IModulusBuilder AddGrpcTransport(this IModulusBuilder builder)
    {
        var services = builder.Services;
        services.AddGrpc();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>, ModulusGrpcOptionsSetup>());
        services.AddGrpcHealthChecks().AddCheck<ModuleTreeHealthCheck>("modules");
        // Answer health requests from the checks themselves, not from a cache the publisher fills later.
        // "" is the whole server; the module service answers by its own name as well, as gRPC clients
        // and load balancers ask for the service they call.
        services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o =>
        {
            o.UseHealthChecksCache = false;
            o.Services.Map(Protocol.V1.ModuleService.Descriptor.FullName, _ => true);
        });
        services.AddGrpcReflection();
        services.Configure<ModulusTransports>(t => t.Grpc = true);
        return builder;
    }

    /// <summary>Serves raw TCP (length-prefixed envelopes) at <see cref="ModulusServerOptions.TcpPort"/>, through Kestrel.</summary>
    public static IModulusBuilder AddTcpTransport(this IModulusBuilder builder)
    {
        builder.Services.TryAddSingleton<TcpConnectionHandler>();
        builder.Services.Configure<ModulusTransports>(t => t.Tcp = true);
        return builder;
    }

    /// <summary>Serves UDP (one envelope per datagram) at <see cref="ModulusServerOptions.UdpPort"/>.</summary>
    public static IModulusBuilder AddUdpTransport(this IModulusBuilder builder)
    {
        builder.Services.TryAddSingleton<UdpTransportService>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UdpTransportService>(sp => sp.GetRequiredService<UdpTransportService>()));
        builder.Services.Configure<ModulusTransports>(t => t.Udp = true);
        return builder;
    }

    /// <summary>
    /// Serves the OpenAI-compatible HTTP API (<c>GET /v1/models</c>, <c>POST /v1/completions</c>,
    /// <c>/v1/chat/completions</c>, <c>/v1/embeddings</c>) at <see cref="ModulusServerOptions.HttpPort"/>,
    /// on a listener of its own: every served module with a streaming <c>generate</c> endpoint is a
    /// model, its module name the model id. Bearer keys map to callers (<see cref="ModulusHttpOptions.ApiKeys"/>).
    /// </summary>
    public static IModulusBuilder AddHttpTransport(this IModulusBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton<ApiKeyCallers>();
        services.TryAddSingleton<ModelDirectory>();
        services.TryAddSingleton<ModelCalls>();
        services.TryAddSingleton<CompletionResponder>();
        services.TryAddSingleton<ModelsEndpoint>();
        services.TryAddSingleton<CompletionsEndpoint>();
        services.TryAddSingleton<ChatCompletionsEndpoint>();
        services.TryAddSingleton<EmbeddingsEndpoint>();
        services.TryAddSingleton<OpenAiRouter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, OpenAiStartupFilter>());
        services.Configure<ModulusTransports>(t => t.Http = true);
        return builder;
    }
}
