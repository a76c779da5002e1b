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

        foreach (var (setting, port) in new[] { ("GrpcPort", options.GrpcPort), ("TcpPort", options.TcpPort), ("UdpPort", options.UdpPort), ("HttpPort", options.HttpPort) })
        {
            if (port is < 0 or > 65535)
            {
                failures.Add($"Modulus:{setting} {port} is not a port; use 0-65535 (0 picks a free one)");
            }
        }

        if (options.GrpcPort is null && options.TcpPort is null && options.UdpPort is null && options.HttpPort is null)
        {
            failures.Add("every transport is switched off; give a gRPC, TCP, UDP or HTTP port (0 picks a free one)");
        }

        var ports = new[] { options.GrpcPort, options.TcpPort, options.HttpPort }.OfType<int>().Where(p => p != 0).ToArray();
        if (ports.Distinct().Count() != ports.Length)
        {
            failures.Add($"Modulus:GrpcPort, TcpPort and HttpPort share a port ({string.Join(", ", ports.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key))}); give each listener its own");
        }

        failures.AddRange(ApiKeyProblems(options.Http));

        foreach (var (setting, value) in new[] { ("FrameTimeout", options.FrameTimeout), ("ConnectionStartTimeout", options.ConnectionStartTimeout), ("IdleTimeout", options.IdleTimeout), ("Http2KeepAlivePingDelay", options.Http2KeepAlivePingDelay), ("Http2KeepAlivePingTimeout", options.Http2KeepAlivePingTimeout), ("UdpReplayWindow", options.UdpReplayWindow), ("ClockSkew", options.ClockSkew), ("Http:Timeout", options.Http.Timeout) })
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

    /// <summary>What is wrong with <c>Modulus:Http:ApiKeys</c>, naming the entry and never the key itself.</summary>
    private static IEnumerable<string> ApiKeyProblems(ModulusHttpOptions http)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < http.ApiKeys.Count; i++)
        {
            var entry = http.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(entry.Key) || entry.Key.Any(char.IsWhiteSpace))
            {
                yield return $"Modulus:Http:ApiKeys:{i}:Key is empty or holds white space; a key is what a client sends after \"Authorization: Bearer \"";
            }
            else if (!seen.Add(entry.Key))
            {
                yield return $"Modulus:Http:ApiKeys:{i}:Key is the key of an earlier entry too; each key stands for one caller";
            }

            if (!Transports.OpenAi.ApiKeyCallers.IsAddress(entry.Caller))
            {
                yield return $"Modulus:Http:ApiKeys:{i}:Caller \"{entry.Caller}\" is not an address; use 0x and 40 hex digits (`modulus keys ls` shows yours)";
            }
        }
    }

    /// <summary>The address a host name stands for; call after validation.</summary>
    public static IPAddress ParseHost(string host) => host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);
}
