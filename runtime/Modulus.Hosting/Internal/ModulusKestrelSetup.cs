using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Modulus.Hosting.Transports.Tcp;

namespace Modulus.Hosting.Internal;

/// <summary>
/// Gives Kestrel the host's listeners: gRPC (HTTP/2 only) and raw TCP, each when its transport was
/// added and its port is set. Kestrel owns the sockets, the connection limit and shutdown.
/// </summary>
internal sealed class ModulusKestrelSetup(IOptions<ModulusServerOptions> options, IOptions<ModulusTransports> transports, ModulusListeners listeners) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        var settings = options.Value;
        var added = transports.Value;
        // gRPC enforces MaxRequestBytes per message and answers RESOURCE_EXHAUSTED; Kestrel's own
        // body limit would cut the stream instead and the caller would see UNKNOWN.
        kestrel.Limits.MaxRequestBodySize = null;
        kestrel.Limits.MaxConcurrentConnections = settings.MaxConnections;
        var address = ModulusServerOptionsValidator.ParseHost(settings.Host);
        if (added.Grpc && settings.GrpcPort is { } grpcPort)
        {
            kestrel.Listen(address, grpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listeners.Grpc = listen;
            });
        }

        if (added.Tcp && settings.TcpPort is { } tcpPort)
        {
            kestrel.Listen(address, tcpPort, listen =>
            {
                listen.UseConnectionHandler<TcpConnectionHandler>();
                listeners.Tcp = listen;
            });
        }
    }
}
