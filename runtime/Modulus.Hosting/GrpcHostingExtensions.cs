using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Modulus.Hosting.Transports.Grpc;

namespace Modulus.Hosting;

/// <summary>Adds the Modulus gRPC services to an ASP.NET Core application of one's own.</summary>
public static class GrpcHostingExtensions
{
    /// <summary>Registers gRPC with Modulus's limits, health checks and reflection.</summary>
    public static IServiceCollection AddModulusGrpc(this IServiceCollection services, ModulusServerOptions options)
    {
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxRequestBytes;
            grpc.MaxSendMessageSize = null;
        });
        services.AddGrpcHealthChecks().AddCheck<ModuleTreeHealthCheck>("modules");
        // Answer health requests from the checks themselves, not from a cache the publisher fills later.
        services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(o => o.UseHealthChecksCache = false);
        services.AddGrpcReflection();
        return services;
    }

    /// <summary>Maps <c>modulus.v1.ModuleService</c>, <c>grpc.health.v1.Health</c> and server reflection.</summary>
    public static IEndpointRouteBuilder MapModulusGrpc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<ModuleGrpcService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }
}
