using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Options;

namespace Modulus.Hosting.Internal;

/// <summary>gRPC's message limits from the host's options.</summary>
internal sealed class ModulusGrpcOptionsSetup(IOptions<ModulusServerOptions> options) : IConfigureOptions<GrpcServiceOptions>
{
    public void Configure(GrpcServiceOptions grpc)
    {
        grpc.MaxReceiveMessageSize = options.Value.MaxRequestBytes;
        grpc.MaxSendMessageSize = null;
    }
}
