namespace Modulus.Hosting;

/// <summary>
/// Where and how a Modulus host listens: configuration section <c>Modulus</c> (e.g. <c>Modulus__TcpPort</c>
/// in the environment). The module tree and its runtime are <c>Modulus:Runtime</c> (<see cref="Runtime.ModulusRuntimeOptions"/>).
/// </summary>
public sealed class ModulusServerOptions
{
    /// <summary>The address to listen on. Loopback by default: exposing a host is a decision.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The gRPC port; 0 picks a free one; null switches gRPC off.</summary>
    public int? GrpcPort { get; set; } = 7050;

    /// <summary>The raw TCP port (length-prefixed frames); 0 picks a free one; null switches TCP off.</summary>
    public int? TcpPort { get; set; } = 7051;

    /// <summary>The UDP port (one datagram per request and response); 0 picks a free one; null switches UDP off.</summary>
    public int? UdpPort { get; set; } = 7052;

    /// <summary>How long a TCP frame, once begun, may take to arrive in full before the connection is dropped.</summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most TCP and gRPC connections open at once; further connections are refused.</summary>
    public long MaxConnections { get; set; } = 1024;

    /// <summary>How long a UDP response is kept to answer a retransmitted request without running it again.</summary>
    public TimeSpan UdpReplayWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far a signed request's timestamp may be from the host's clock, either way.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The host's key and chain, which signed calls name (<c>Modulus:Identity</c>).</summary>
    public ModulusIdentityOptions Identity { get; set; } = new();

    /// <summary>The largest request the host accepts on any transport, in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The most calls one gRPC stream or TCP connection runs at once; further requests wait for one to finish.</summary>
    public int MaxCallsPerConnection { get; set; } = 256;
}
