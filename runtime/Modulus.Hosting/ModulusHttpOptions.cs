namespace Modulus.Hosting;

/// <summary>
/// The OpenAI-compatible HTTP API (<see cref="ModulusServerOptions.HttpPort"/>): configuration section
/// <c>Modulus:Http</c>, e.g. <c>Modulus__Http__ApiKeys__0__Key</c> and <c>Modulus__Http__ApiKeys__0__Caller</c>
/// in the environment.
/// </summary>
public sealed class ModulusHttpOptions
{
    /// <summary>
    /// The bearer keys the host accepts, each standing for a caller address. A request that carries
    /// one (<c>Authorization: Bearer KEY</c>) is called as that address, as a call signed by its key
    /// would be: modules' access rules (<c>signed</c>, <c>allow</c>, <c>stake</c>) and per-caller rates
    /// see it. A request with no key, or a key that is not here, is an unsigned call.
    /// </summary>
    public IList<ModulusApiKey> ApiKeys { get; set; } = new List<ModulusApiKey>();

    /// <summary>
    /// How long one HTTP request may take, its model calls together; a module's own
    /// <c>limits.timeout_ms</c> applies too, whichever is earlier. Past it the request is answered 504
    /// (or, once a stream has begun, with an error event).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>One API key of the HTTP API and the caller it stands for.</summary>
public sealed class ModulusApiKey
{
    /// <summary>The secret a client sends as <c>Authorization: Bearer KEY</c> (the OpenAI client's <c>apiKey</c>).</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>The caller address (0x and 40 hex digits) that calls with this key are made as.</summary>
    public string Caller { get; set; } = string.Empty;
}
