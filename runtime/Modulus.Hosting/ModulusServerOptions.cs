using Modulus.Runtime;

namespace Modulus.Hosting;

/// <summary>Where and what a Modulus host serves.</summary>
public sealed class ModulusServerOptions
{
    /// <summary>The address to listen on. Loopback by default: exposing a host is a decision.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The gRPC port; 0 picks a free one; null switches gRPC off.</summary>
    public int? GrpcPort { get; set; } = 7050;

    /// <summary>The largest request the host accepts on any transport, in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The most calls one gRPC stream runs at once; further requests wait for one to finish.</summary>
    public int MaxCallsPerStream { get; set; } = 128;

    /// <summary>The module runtime: tree root, watching, cache and Python.</summary>
    public ModulusRuntimeOptions Runtime { get; set; } = new();
}
