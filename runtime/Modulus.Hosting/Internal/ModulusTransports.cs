namespace Modulus.Hosting.Internal;

/// <summary>Which transports the builder added; the Kestrel set-up listens only for those.</summary>
internal sealed class ModulusTransports
{
    public bool Grpc { get; set; }

    public bool Tcp { get; set; }

    public bool Udp { get; set; }

    public bool Http { get; set; }
}
