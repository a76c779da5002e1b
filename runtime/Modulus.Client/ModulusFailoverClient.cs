using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using Modulus.Protocol;
using Modulus.Sdk;

namespace Modulus.Client;

/// <summary>
/// Calls a module that several hosts serve (e.g. every host the registry lists for a version):
/// each call goes to the healthy host that has answered fastest, and moves on to the next host when
/// the first one provably never received it, or when the endpoint is marked idempotent.
/// </summary>
/// <remarks>
/// <para>
/// The failover rule: a call is sent again, to another host, when it cannot have run. That is
/// when the connection could not be opened (connection refused, host or network unreachable), the
/// request could not be written (a TCP connection the host had already reset), or nothing listens
/// on the UDP port. A call that was sent and then failed with UNAVAILABLE (the connection broke
/// mid-call) or DEADLINE_EXCEEDED from that host while the caller's own deadline has time left may
/// have run: it is sent to the next host only when its endpoint is marked idempotent
/// (<see cref="EndpointAttribute.Idempotent"/>, Python's <c>@endpoint(idempotent=True)</c>), which
/// the client learns from the module's description (<c>GetModuleInfo</c>, asked of another host the
/// first time it is needed and kept per module). Otherwise the caller gets the error, saying that
/// the call may have run, and the host is marked down so that the next call goes elsewhere.
/// </para>
/// <para>
/// A host that fails is skipped for 0.5 s, then twice as long after each further failure (up to
/// 30 s); when every host is down they are all tried anyway, soonest back first, so a call is never
/// refused while any host might answer. Latency is an exponentially weighted average of successful
/// calls; a host not yet measured goes first, so every host is measured once.
/// </para>
/// </remarks>
public sealed class ModulusFailoverClient : IAsyncDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LastBackoff = TimeSpan.FromSeconds(30);
    private readonly HostState[] _hosts;
    private readonly ModulusClientOptions _options;

    /// <summary>Each module's idempotent endpoints, once a host has described it.</summary>
    private readonly ConcurrentDictionary<string, IReadOnlySet<string>> _idempotent = new(StringComparer.Ordinal);

    private ModulusFailoverClient(HostState[] hosts, ModulusClientOptions options)
    {
        _hosts = hosts;
        _options = options;
    }

    /// <summary>The hosts, in the order given.</summary>
    public IReadOnlyList<ModulusAddress> Addresses => _hosts.Select(h => h.Client.Address).ToArray();

    /// <summary>A client over the hosts at <paramref name="addresses"/> (each as <see cref="ModulusClient.Connect"/> takes it); connects lazily.</summary>
    /// <exception cref="ArgumentException">No address is given.</exception>
    /// <exception cref="FormatException">An address is malformed or names an unknown transport.</exception>
    public static ModulusFailoverClient Connect(IReadOnlyList<string> addresses, ModulusClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var distinct = addresses.Distinct(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0)
        {
            throw new ArgumentException("no host address given; a module needs at least one host to call", nameof(addresses));
        }

        options ??= new ModulusClientOptions();
        // Every address is parsed before any client is made, so a malformed one leaves nothing to dispose.
        foreach (var address in distinct)
        {
            ModulusAddress.Parse(address);
        }

        // Each host proves its own identity: a host pinned in the options would make every other one refuse signed calls.
        var perHost = options with { Host = null };
        return new ModulusFailoverClient(distinct.Select(a => new HostState(ModulusClient.Connect(a, perHost))).ToArray(), options);
    }

    /// <summary>Calls <c>module</c> or <c>module/endpoint</c> with positional arguments.</summary>
    public Task<Value> CallAsync(string target, params Value[] args) => CallAsync(target, args, null);

    /// <summary>Calls <c>module</c> or <c>module/endpoint</c> on one of the hosts, failing over as the remarks say.</summary>
    /// <exception cref="ModulusException">The call failed on the host that received it, or no host could be reached (UNAVAILABLE, naming each).</exception>
    public async Task<Value> CallAsync(
        string target,
        IReadOnlyList<Value>? args,
        IReadOnlyDictionary<string, Value>? kwargs,
        ModulusCallOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        // One deadline for the whole call: trying another host does not extend what the caller waits.
        var deadline = DateTime.UtcNow + (options?.Timeout ?? _options.DefaultTimeout);
        List<string>? unreachable = null;
        var hosts = Order();
        for (var next = 0; next < hosts.Length; next++)
        {
            var host = hosts[next];
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await host.Client.CallAsync(target, args, kwargs, new ModulusCallOptions(remaining), cancellationToken).ConfigureAwait(false);
                host.Succeeded(Stopwatch.GetElapsedTime(started));
                return result;
            }
            catch (ModulusException ex) when (IsUndelivered(ex))
            {
                host.Failed();
                (unreachable ??= []).Add($"{host.Client.Address}: {ex.Message}");
            }
            catch (ModulusException ex) when (MayHaveRun(ex, deadline))
            {
                // Sent, then lost: it may have run, so it is repeated only when running it twice is harmless.
                host.Failed();
                if (next == hosts.Length - 1
                    || !await IsIdempotentAsync(target, hosts[(next + 1)..], deadline, cancellationToken).ConfigureAwait(false))
                {
                    throw new ModulusException(
                        ex.Code,
                        next == hosts.Length - 1
                            ? $"{ex.Message} (the call may have run on {host.Client.Address}, and no other host is left to try)"
                            : $"{ex.Message} (the call may have run on {host.Client.Address}, so it was not sent to another host: {target} is not marked idempotent)",
                        ex);
                }

                (unreachable ??= []).Add($"{host.Client.Address}: {ex.Message} (may have run; sent again, as {target} is idempotent)");
            }
        }

        throw new ModulusException(
            unreachable is null ? StatusCode.DeadlineExceeded : StatusCode.Unavailable,
            unreachable is null
                ? $"no host answered {target} before the deadline"
                : $"none of the {_hosts.Length} hosts of {target} could be reached ({string.Join("; ", unreachable)})");
    }

    /// <summary>One module's description, from the first host that answers (a read: any host may be asked again).</summary>
    /// <exception cref="ModulusException">No host answered; the last failure.</exception>
    public async Task<ModuleInfo> InfoAsync(string module, CancellationToken cancellationToken = default)
    {
        ModulusException? last = null;
        foreach (var host in Order())
        {
            try
            {
                var info = await host.Client.InfoAsync(module, cancellationToken).ConfigureAwait(false);
                host.Succeeded(null);
                return info;
            }
            catch (ModulusException ex) when (ex.Code == StatusCode.Unavailable)
            {
                host.Failed();
                last = ex;
            }
        }

        throw last!;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.Client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when the request reached a host and then failed in a way that another host might not:
    /// the connection broke while the call was in flight (UNAVAILABLE), or that host ran out of time
    /// (DEADLINE_EXCEEDED) while the caller's deadline still leaves some.
    /// </summary>
    internal static bool MayHaveRun(ModulusException ex, DateTime deadline) =>
        ex.Code == StatusCode.Unavailable
        || (ex.Code == StatusCode.DeadlineExceeded && DateTime.UtcNow < deadline);

    /// <summary>
    /// Whether <paramref name="target"/>'s endpoint is marked idempotent, from the module's
    /// description: kept once learned, else asked of the hosts still to try (the one that failed is
    /// likely gone). False when none of them answers in time: without the marker, never twice.
    /// </summary>
    private async Task<bool> IsIdempotentAsync(string target, HostState[] others, DateTime deadline, CancellationToken cancellationToken)
    {
        var (module, endpoint) = ModuleCall.ParseTarget(target);
        if (_idempotent.TryGetValue(module, out var known))
        {
            return known.Contains(endpoint);
        }

        foreach (var host in others)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(remaining);
                var info = await host.Client.InfoAsync(module, timeout.Token).ConfigureAwait(false);
                var idempotent = info.Endpoints.Where(e => e.Idempotent).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
                _idempotent[module] = idempotent;
                return idempotent.Contains(endpoint);
            }
            catch (ModulusException ex) when (ex.Code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.NotFound)
            {
                // Ask the next one.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the failure proves the request never reached a module: the connection was never
    /// opened, or (UDP) nothing listens on the port. The gRPC transport keeps the HTTP failure as the
    /// status's debug exception; TCP and UDP say so in the message of the error they raise.
    /// </summary>
    internal static bool IsUndelivered(ModulusException ex)
    {
        if (ex.Code != StatusCode.Unavailable)
        {
            return false;
        }

        if (ex.InnerException is Grpc.Core.RpcException rpc)
        {
            return rpc.Status.DebugException is { } debug && IsConnectFailure(debug);
        }

        // "broke" is the TCP transport's failure to write the request frame (a connection the host
        // has already reset): the host runs only whole frames, and this one never left whole.
        // "closed" (the connection ended while the call waited for its answer) is not among these.
        return ex.Message.StartsWith("cannot reach ", StringComparison.Ordinal)
            || ex.Message.StartsWith("nothing listens at ", StringComparison.Ordinal)
            || (ex.Message.StartsWith("the connection to ", StringComparison.Ordinal) && ex.Message.Contains(" broke: ", StringComparison.Ordinal));
    }

    private static bool IsConnectFailure(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }

            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.AddressNotAvailable })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Hosts that are up, fastest first (unmeasured ones before all), then those down, soonest back first.</summary>
    private HostState[] Order()
    {
        var now = Stopwatch.GetTimestamp();
        return _hosts
            .Select((host, position) => (host, position, snapshot: host.Snapshot()))
            .OrderBy(h => h.snapshot.DownUntil > now ? 1 : 0)
            .ThenBy(h => h.snapshot.DownUntil > now ? h.snapshot.DownUntil : 0)
            .ThenBy(h => h.snapshot.LatencyMs ?? -1)
            .ThenBy(h => h.position)
            .Select(h => h.host)
            .ToArray();
    }

    private sealed class HostState(ModulusClient client)
    {
        private readonly Lock _gate = new();
        private double? _latencyMs;
        private int _failures;
        private long _downUntil;

        public ModulusClient Client { get; } = client;

        public (double? LatencyMs, long DownUntil) Snapshot()
        {
            lock (_gate)
            {
                return (_latencyMs, _downUntil);
            }
        }

        public void Succeeded(TimeSpan? elapsed)
        {
            lock (_gate)
            {
                _failures = 0;
                _downUntil = 0;
                if (elapsed is { } e)
                {
                    var ms = e.TotalMilliseconds;
                    _latencyMs = _latencyMs is { } average ? (0.8 * average) + (0.2 * ms) : ms;
                }
            }
        }

        public void Failed()
        {
            lock (_gate)
            {
                _failures++;
                var backoff = TimeSpan.FromTicks(Math.Min(LastBackoff.Ticks, FirstBackoff.Ticks << Math.Min(_failures - 1, 16)));
                _downUntil = Stopwatch.GetTimestamp() + (long)(backoff.TotalSeconds * Stopwatch.Frequency);
            }
        }
    }
}
