namespace Modulus.Registry.Index;

/// <summary>A host announcing that it serves a version.</summary>
/// <param name="Version">The version served.</param>
/// <param name="Host">The host's address (EIP-55).</param>
/// <param name="Endpoint">Where it serves it, e.g. grpc://203.0.113.7:7050.</param>
public sealed record IndexedHost(string Version, string Host, string Endpoint);
