namespace Modulus.Client;

/// <summary>Where a host listens: <c>grpc://host:port</c>, <c>tcp://host:port</c> or <c>udp://host:port</c>.</summary>
/// <param name="Scheme">The transport: grpc, tcp or udp.</param>
/// <param name="Host">The host name or IP address (an IPv6 address without brackets: <c>::1</c>).</param>
/// <param name="Port">The port.</param>
public sealed record ModulusAddress(string Scheme, string Host, int Port)
{
    /// <summary>The transports a client can speak.</summary>
    public static IReadOnlyList<string> Schemes { get; } = ["grpc", "tcp", "udp"];

    /// <summary>Parses an address; a bare <c>host:port</c> means gRPC.</summary>
    /// <exception cref="FormatException">The text is not an address; the message shows the form.</exception>
    public static ModulusAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "grpc://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || uri.Port <= 0 || uri.AbsolutePath is not ("/" or ""))
        {
            throw new FormatException($"\"{text}\" is not a host address; use the form grpc://127.0.0.1:7050");
        }

        var scheme = uri.Scheme.ToLowerInvariant();
        if (!Schemes.Contains(scheme))
        {
            throw new FormatException($"\"{text}\" uses the transport \"{scheme}\", which this client does not speak; use {string.Join(", ", Schemes.Select(s => s + "://"))}");
        }

        // Uri.Host keeps an IPv6 address in brackets ("[::1]"); the address itself is without them.
        return new ModulusAddress(scheme, uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host, uri.Port);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Scheme}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";
}
