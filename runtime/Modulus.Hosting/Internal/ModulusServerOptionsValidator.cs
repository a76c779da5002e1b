using System.Net;
using Microsoft.Extensions.Options;

namespace Modulus.Hosting.Internal;

/// <summary>Checks the host's options when it starts; each failure says which setting and what to use.</summary>
internal sealed class ModulusServerOptionsValidator : IValidateOptions<ModulusServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ModulusServerOptions options)
    {
        var failures = new List<string>();
        if (options.Host != "localhost" && !IPAddress.TryParse(options.Host, out _))
        {
            failures.Add($"Modulus:Host \"{options.Host}\" is not an IP address; use e.g. 127.0.0.1, 0.0.0.0 or ::1");
        }

        foreach (var (setting, port) in new[] { ("GrpcPort", options.GrpcPort), ("TcpPort", options.TcpPort), ("UdpPort", options.UdpPort) })
        {
            if (port is < 0 or > 65535)
            {
                failures.Add($"Modulus:{setting} {port} is not a port; use 0-65535 (0 picks a free one)");
            }
        }

        if (options.GrpcPort is null && options.TcpPort is null && options.UdpPort is null)
        {
            failures.Add("every transport is switched off; give a gRPC, TCP or UDP port (0 picks a free one)");
        }

        foreach (var (setting, value) in new[] { ("FrameTimeout", options.FrameTimeout), ("ConnectionStartTimeout", options.ConnectionStartTimeout), ("IdleTimeout", options.IdleTimeout), ("Http2KeepAlivePingDelay", options.Http2KeepAlivePingDelay), ("Http2KeepAlivePingTimeout", options.Http2KeepAlivePingTimeout), ("UdpReplayWindow", options.UdpReplayWindow), ("ClockSkew", options.ClockSkew) })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Modulus:{setting} must be positive, not {value}");
            }
        }

        if (options.MaxConnections < 1 || options.MaxConnectionsPerAddress < 1 || options.MaxRequestBytes < 1 || options.MaxCallsPerConnection < 1 || options.MaxStreamsPerConnection < 1)
        {
            failures.Add("Modulus:MaxConnections, MaxConnectionsPerAddress, MaxRequestBytes, MaxCallsPerConnection and MaxStreamsPerConnection must be at least 1");
        }

        if (options.UdpReplayCacheBytes < 64 * 1024)
        {
            failures.Add($"Modulus:UdpReplayCacheBytes {options.UdpReplayCacheBytes} is below 65536: the cache must hold at least one answer of the largest datagram");
        }

        // A damaged host key stops the start with its path, rather than failing the first signed call.
        if (HostKey.Problem(HostKey.PathOf(options.Identity)) is { } keyProblem)
        {
            failures.Add(keyProblem);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The address a host name stands for; call after validation.</summary>
    public static IPAddress ParseHost(string host) => host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);
}
