using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Modulus.Hosting.Transports.OpenAi;
using Modulus.Hosting.Transports.Tcp;

namespace Modulus.Hosting.Internal;

/// <summary>
/// Gives Kestrel the host's listeners: gRPC (HTTP/2 only), raw TCP and the OpenAI-compatible API
/// (HTTP/1.1 only), each when its transport was added and its port is set. Kestrel owns the sockets and shutdown; the connection budget admits connections.
/// </summary>
internal sealed class ModulusKestrelSetup(IOptions<ModulusServerOptions> options, IOptions<ModulusTransports> transports, ModulusListeners listeners, ConnectionBudget budget) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        var settings = options.Value;
        var added = transports.Value;
        // gRPC enforces MaxRequestBytes per message and answers RESOURCE_EXHAUSTED; Kestrel's own
        // body limit would cut the stream instead and the caller would see UNKNOWN.
        kestrel.Limits.MaxRequestBodySize = null;
        // Kestrel counts its limit per listener; the host-wide budget and the per-address cap are
        // the ConnectionBudget middleware's, in front of every listener.
        kestrel.Limits.MaxConcurrentConnections = null;
        kestrel.Limits.KeepAliveTimeout = settings.IdleTimeout;
        kestrel.Limits.RequestHeadersTimeout = settings.ConnectionStartTimeout;
        kestrel.Limits.Http2.KeepAlivePingDelay = settings.Http2KeepAlivePingDelay;
        kestrel.Limits.Http2.KeepAlivePingTimeout = settings.Http2KeepAlivePingTimeout;
        kestrel.Limits.Http2.MaxStreamsPerConnection = settings.MaxStreamsPerConnection;
        var address = ModulusServerOptionsValidator.ParseHost(settings.Host);
        if (added.Grpc && settings.GrpcPort is { } grpcPort)
        {
            kestrel.Listen(address, grpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => budget.Admit(next, "gRPC"));
                listeners.Grpc = listen;
            });
        }

        if (added.Tcp && settings.TcpPort is { } tcpPort)
        {
            kestrel.Listen(address, tcpPort, listen =>
            {
                listen.Use(next => budget.Admit(next, "TCP", TcpConnectionHandler.GoAwayAsync));
                listen.UseConnectionHandler<TcpConnectionHandler>();
                listeners.Tcp = listen;
            });
        }

        if (added.Http && settings.HttpPort is { } httpPort)
        {
            kestrel.Listen(address, httpPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => budget.Admit(next, "HTTP"));
                // Its requests go to the OpenAI-compatible API, never to the application's endpoints.
                listen.Use(OpenAiStartupFilter.MarkConnection);
                listeners.Http = listen;
            });
        }
    }
}
