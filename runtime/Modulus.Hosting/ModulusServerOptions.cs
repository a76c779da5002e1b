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

    /// <summary>
    /// The port of the OpenAI-compatible HTTP API (HTTP/1.1 JSON under <c>/v1</c>, its own listener);
    /// 0 picks a free one; null switches it off. Its keys and deadline are <see cref="Http"/>.
    /// </summary>
    public int? HttpPort { get; set; } = 7053;

    /// <summary>The OpenAI-compatible HTTP API's API keys and deadline (<c>Modulus:Http</c>).</summary>
    public ModulusHttpOptions Http { get; set; } = new();

    /// <summary>How long a TCP frame, once begun, may take to arrive in full before the connection is dropped.</summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most TCP, gRPC and HTTP connections open at once on the whole host (every listener counts
    /// against the same budget); a connection beyond it is closed as soon as it is accepted.
    /// </summary>
    public long MaxConnections { get; set; } = 1024;

    /// <summary>The most TCP, gRPC and HTTP connections one caller address may hold open at once, so that one address cannot take the whole budget.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 64;

    /// <summary>
    /// How long a new TCP or gRPC connection may stay silent before it sends its first bytes; it is
    /// then closed. Short, because a silent connection holds a slot of the budget.
    /// </summary>
    public TimeSpan ConnectionStartTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an established TCP connection may stay silent with no call in flight before it is
    /// closed; for gRPC, Kestrel's keep-alive timeout (a connection with no open stream).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a gRPC connection may stay silent before the host pings it (HTTP/2 PING).</summary>
    public TimeSpan Http2KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the host waits for any frame after a ping before it closes a half-open gRPC connection.</summary>
    public TimeSpan Http2KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The most gRPC streams (calls) open at once on one HTTP/2 connection.</summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>How long a UDP response is kept to answer a retransmitted request without running it again.</summary>
    public TimeSpan UdpReplayWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most bytes the UDP replay cache holds (answers and their bookkeeping); the oldest answers go first beyond it.</summary>
    public long UdpReplayCacheBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>How far a signed request's timestamp may be from the host's clock, either way.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The host's key and chain, which signed calls name (<c>Modulus:Identity</c>).</summary>
    public ModulusIdentityOptions Identity { get; set; } = new();

    /// <summary>The largest request the host accepts on any transport, in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The most calls one gRPC stream or TCP connection runs at once; further requests wait for one to finish.</summary>
    public int MaxCallsPerConnection { get; set; } = 256;
}
