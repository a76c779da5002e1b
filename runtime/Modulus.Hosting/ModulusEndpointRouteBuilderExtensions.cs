using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Modulus.Hosting.Transports.Grpc;

namespace Modulus.Hosting;

/// <summary>Maps the Modulus gRPC services into an application's endpoints.</summary>
public static class ModulusEndpointRouteBuilderExtensions
{
    /// <summary>Maps <c>modulus.v1.ModuleService</c>, <c>grpc.health.v1.Health</c> and server reflection (after <c>AddGrpcTransport()</c>).</summary>
    public static IEndpointRouteBuilder MapModulus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<ModuleGrpcService>();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }
}
