namespace Modulus.Sdk;

/// <summary>
/// The base of every C# module. A module's endpoints are its public methods named
/// <c>Forward</c> (served as <c>forward</c>) or marked with <see cref="EndpointAttribute"/>.
/// Parameters and return values are plain types (<c>string</c>, <c>long</c>, <c>double</c>,
/// <c>bool</c>, <c>byte[]</c>, arrays and lists, dictionaries with string keys, <see cref="Tensor"/>,
/// <see cref="Value"/>), optionally wrapped in <c>Task</c> or <c>ValueTask</c>. A parameter of
/// type <see cref="CallContext"/> or <see cref="CancellationToken"/> is filled in by the host.
/// </summary>
/// <remarks>
/// The host creates one instance per load and may call it from many threads at once:
/// keep per-call state in locals, and make shared state thread-safe.
/// </remarks>
public abstract class Module : IAsyncDisposable
{
    /// <summary>Where and as what the module is loaded. Set by the host before <see cref="InitializeAsync"/>.</summary>
    public ModuleEnvironment Environment { get; internal set; } = ModuleEnvironment.Detached;

    /// <summary>Called once after loading, before the first call: load weights and vocabularies here.</summary>
    public virtual ValueTask InitializeAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Called when the module is unloaded, after its last call has finished.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The name, version and folder a module is loaded as.</summary>
/// <param name="Name">The dotted module name, e.g. <c>text.tokenize</c>.</param>
/// <param name="Version">The manifest's semver version.</param>
/// <param name="Directory">The module's folder: read weights and other files relative to it.</param>
public sealed record ModuleEnvironment(string Name, string Version, string Directory)
{
    /// <summary>The environment of a module created outside a host (in a unit test, say).</summary>
    public static ModuleEnvironment Detached { get; } = new("detached", "0.0.0", AppContext.BaseDirectory);
}

/// <summary>Marks a public method of a <see cref="Module"/> as an endpoint.</summary>
/// <param name="name">The endpoint's name; by default the method's name in snake_case.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class EndpointAttribute(string? name = null) : Attribute
{
    /// <summary>The endpoint's name, or null for the method's name in snake_case.</summary>
    public string? Name { get; } = name;

    /// <summary>A one-line description served by <c>info</c>.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// True when running the endpoint twice with the same arguments does no more than running it
    /// once (a pure function, a lookup): a failover client may then send a call that may already
    /// have run on a host that failed to another host. False (the default) for anything with an
    /// effect, such as a write, a payment or a counter.
    /// </summary>
    public bool Idempotent { get; init; }
}

/// <summary>What the host knows about the call being served.</summary>
public sealed record CallContext
{
    /// <summary>The module called.</summary>
    public required string Module { get; init; }

    /// <summary>The endpoint called.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The caller's request id (unique per connection).</summary>
    public ulong RequestId { get; init; }

    /// <summary>The caller's address (0x…) when the request was signed, otherwise null.</summary>
    public string? Caller { get; init; }

    /// <summary>When the call must be finished, if a deadline applies.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Cancelled when the deadline passes or the caller goes away.</summary>
    public CancellationToken CancellationToken { get; init; }
}
