using Modulus.Sdk;

namespace Modulus.Protocol;

/// <summary>Takes one item of a streamed answer; completes when the item has been passed on (or queued within a bound).</summary>
/// <param name="item">The item.</param>
/// <param name="cancellationToken">The call's cancellation: it fires when the caller leaves or the deadline passes.</param>
public delegate ValueTask StreamItemWriter(Value item, CancellationToken cancellationToken);

/// <summary>
/// A call to one module endpoint, independent of the transport that carried it.
/// </summary>
/// <param name="Module">The dotted module name.</param>
/// <param name="Endpoint">The endpoint; <c>forward</c> when the caller named none.</param>
/// <param name="Args">Positional arguments.</param>
/// <param name="Kwargs">Keyword arguments.</param>
public sealed record ModuleCall(string Module, string Endpoint, IReadOnlyList<Value> Args, IReadOnlyDictionary<string, Value> Kwargs)
{
    /// <summary>The endpoint called when a request names none.</summary>
    public const string DefaultEndpoint = "forward";

    /// <summary>The caller's request id.</summary>
    public ulong RequestId { get; init; }

    /// <summary>When the call must be finished; null for no deadline of the caller's own.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>The verified caller address, when the request was signed.</summary>
    public string? Caller { get; init; }

    /// <summary>The size of the request on the wire, in bytes; 0 when unknown.</summary>
    public int RequestBytes { get; init; }

    /// <summary>Where the request came from (an IP address), as the transport saw it; for per-caller limits of unsigned calls.</summary>
    public string? Peer { get; init; }

    /// <summary>The voucher that pays for the call, when the module is paid (<c>CallRequest.voucher</c>).</summary>
    public V1.Voucher? Voucher { get; init; }

    /// <summary>
    /// Where the items of a streamed answer go, in order, when the caller asked for a stream
    /// (<c>CallRequest.stream</c>); null for a call answered with one value. Awaiting a write is the
    /// back-pressure: a producer goes no faster than its caller takes the items.
    /// </summary>
    public StreamItemWriter? Stream { get; init; }

    /// <summary>Splits <c>module/endpoint</c> (or just <c>module</c>) into its parts.</summary>
    public static (string Module, string Endpoint) ParseTarget(string target)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        var slash = target.IndexOf('/');
        return slash < 0
            ? (target, DefaultEndpoint)
            : (target[..slash], slash == target.Length - 1 ? DefaultEndpoint : target[(slash + 1)..]);
    }
}
