using Modulus.Client.Internal;
using Modulus.Protocol;
using Modulus.Protocol.Signing;
using Modulus.Sdk;

namespace Modulus.Client;

/// <summary>
/// Calls modules on a Modulus host by name: <c>await client.CallAsync("text.tokenize", "hello")</c>.
/// Every failure is a <see cref="ModulusException"/> carrying its status code, whatever the transport.
/// Thread-safe; create one per host and reuse it.
/// </summary>
public sealed class ModulusClient : IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, Value> NoKwargs = new Dictionary<string, Value>();
    private readonly IModulusTransport _transport;
    private readonly ModulusClientOptions _options;
    private long _nextId;
    private Task<(HostIdentity Identity, string Escrow)>? _host;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ModuleInfo Info, long At)> _prices = new(StringComparer.Ordinal);

    /// <summary>How long a module's price, read with <see cref="InfoAsync"/>, is reused.</summary>
    private static readonly TimeSpan PriceAge = TimeSpan.FromSeconds(10);

    private ModulusClient(ModulusAddress address, IModulusTransport transport, ModulusClientOptions options)
    {
        Address = address;
        _transport = transport;
        _options = options;
    }

    /// <summary>The address calls are signed as, or null when they are not signed.</summary>
    public string? Caller => _options.Signer?.Address;

    /// <summary>The host this client calls.</summary>
    public ModulusAddress Address { get; }

    /// <summary>
    /// A client for the host at <paramref name="address"/>: <c>grpc://127.0.0.1:7050</c>, <c>tcp://127.0.0.1:7051</c>
    /// or <c>udp://127.0.0.1:7052</c>. Connects lazily; the same calls give the same results on each.
    /// </summary>
    /// <exception cref="FormatException">The address is malformed or names an unknown transport.</exception>
    public static ModulusClient Connect(string address, ModulusClientOptions? options = null)
    {
        var parsed = ModulusAddress.Parse(address);
        IModulusTransport transport = parsed.Scheme switch
        {
            "grpc" => new GrpcTransport(parsed),
            "tcp" => new TcpTransport(parsed),
            "udp" => new UdpTransport(parsed),
            _ => throw new FormatException($"Unsupported transport {parsed.Scheme}."),
        };
        return new ModulusClient(parsed, transport, options ?? new ModulusClientOptions());
    }

    /// <summary>Calls <c>module</c> or <c>module/endpoint</c> with positional arguments.</summary>
    public Task<Value> CallAsync(string target, params Value[] args) => CallAsync(target, args, null);

    /// <summary>Calls <c>module</c> or <c>module/endpoint</c> (the endpoint defaults to <c>forward</c>).</summary>
    /// <exception cref="ModulusException">The call failed; <see cref="ModulusException.Code"/> says how.</exception>
    public async Task<Value> CallAsync(
        string target,
        IReadOnlyList<Value>? args,
        IReadOnlyDictionary<string, Value>? kwargs,
        ModulusCallOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (module, endpoint) = ParseTarget(target);
        var timeout = options?.Timeout ?? _options.DefaultTimeout;
        var deadline = DateTimeOffset.UtcNow + timeout;
        var call = new ModuleCall(module, endpoint, args ?? [], kwargs ?? NoKwargs)
        {
            RequestId = (ulong)Interlocked.Increment(ref _nextId),
            Deadline = deadline,
        };
        var request = CallMapper.ToMessage(call);
        while (true)
        {
            if (_options.Signer is { } signer)
            {
                // Signed in the loop: a payment retried is a new request, with a nonce of its own.
                var host = await HostAsync(cancellationToken).ConfigureAwait(false);
                CallSignature.Sign(request, signer, host, _options.Clock.GetUtcNow());
            }

            var payment = _options.Payment is { } pay ? await PayAsync(pay, request, module, cancellationToken).ConfigureAwait(false) : null;
            Protocol.V1.CallResponse response;
            try
            {
                response = await _transport.CallAsync(request, deadline.UtcDateTime, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // No answer: the host may have served and charged the call, or not.
                payment?.Tally.Lose(payment.Key, payment.Price);
                throw;
            }

            if (payment is null)
            {
                return CallMapper.ResultOf(response);
            }

            if (response.OutcomeCase == Protocol.V1.CallResponse.OutcomeOneofCase.Result)
            {
                payment.Tally.Settle(payment.Key, payment.Price);
                return CallMapper.ResultOf(response);
            }

            payment.Tally.Cancel(payment.Key, payment.Price);
            // The host served a call whose answer was lost before: pay for it, once per such call, and try again.
            if (response.Error.Code == (int)StatusCode.PermissionDenied
                && response.Error.Message.Contains(Protocol.Payments.PaymentMessages.NotCovered, StringComparison.Ordinal)
                && payment.Tally.Concede(payment.Key, payment.Price))
            {
                request.Voucher = null;
                continue;
            }

            return CallMapper.ResultOf(response);
        }
    }

    /// <summary>Streams <c>module</c> or <c>module/endpoint</c> called with positional arguments.</summary>
    public IAsyncEnumerable<Value> StreamAsync(string target, params Value[] args) => StreamAsync(target, args, null);

    /// <summary>
    /// Calls an endpoint and yields its answer's items as they arrive: a streaming endpoint's
    /// (<see cref="EndpointSchema.Streaming"/>) one by one, any other's single result as one item.
    /// Over gRPC and TCP; UDP refuses (FAILED_PRECONDITION). Leaving the loop early, cancelling
    /// <paramref name="cancellationToken"/> or passing the deadline
    /// (<see cref="ModulusCallOptions.Timeout"/>, which covers the whole stream) stops the module's
    /// producer on the host. A slow reader slows the producer: nothing unbounded queues on the way.
    /// </summary>
    /// <exception cref="ModulusException">The call failed, before its first item or after some.</exception>
    public IAsyncEnumerable<Value> StreamAsync(
        string target,
        IReadOnlyList<Value>? args,
        IReadOnlyDictionary<string, Value>? kwargs,
        ModulusCallOptions? options = null,
        CancellationToken cancellationToken = default) => StreamItemsAsync(target, args, kwargs, options, cancellationToken);

    private async IAsyncEnumerable<Value> StreamItemsAsync(
        string target,
        IReadOnlyList<Value>? args,
        IReadOnlyDictionary<string, Value>? kwargs,
        ModulusCallOptions? options,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (module, endpoint) = ParseTarget(target);
        var deadline = DateTimeOffset.UtcNow + (options?.Timeout ?? _options.DefaultTimeout);
        var request = CallMapper.ToMessage(new ModuleCall(module, endpoint, args ?? [], kwargs ?? NoKwargs)
        {
            RequestId = (ulong)Interlocked.Increment(ref _nextId),
            Deadline = deadline,
        });
        request.Stream = true;
        if (_options.Signer is { } signer)
        {
            CallSignature.Sign(request, signer, await HostAsync(cancellationToken).ConfigureAwait(false), _options.Clock.GetUtcNow());
        }

        var payment = _options.Payment is { } pay ? await PayAsync(pay, request, module, cancellationToken).ConfigureAwait(false) : null;
        var settled = false;
        try
        {
            await foreach (var response in _transport.StreamAsync(request, deadline.UtcDateTime, cancellationToken).ConfigureAwait(false))
            {
                if (response.OutcomeCase == Protocol.V1.CallResponse.OutcomeOneofCase.Item)
                {
                    yield return ValueMapper.FromMessage(response.Item);
                    continue;
                }

                payment?.Tally.Settle(payment.Key, payment.Price);
                settled = true;
            }
        }
        finally
        {
            if (!settled)
            {
                // Ended early or failed: whether the host charged the call is not known here.
                payment?.Tally.Lose(payment.Key, payment.Price);
            }
        }
    }

    /// <summary>Attaches a voucher to a call of a paid module; null when the module is free.</summary>
    private async Task<Reservation?> PayAsync(ModulusPaymentOptions pay, Protocol.V1.CallRequest request, string module, CancellationToken cancellationToken)
    {
        var info = await PriceOfAsync(module, cancellationToken).ConfigureAwait(false);
        if (info.AccessMode != Modules.ModuleAccess.Paid || info.Price is null)
        {
            return null;
        }

        var price = Modules.GptAmount.Parse(info.Price);
        var max = Modules.GptAmount.Parse(pay.MaxPricePerCall);
        if (price > max)
        {
            throw new ModulusException(StatusCode.FailedPrecondition,
                $"{module} costs {info.Price} $GPT per call, above this caller's maximum of {Modules.GptAmount.ToDecimalString(max)} (--max-price, ModulusPaymentOptions.MaxPricePerCall); nothing was signed or sent");
        }

        var (host, announcedEscrow) = await HostInfoAsync(cancellationToken).ConfigureAwait(false);
        var escrow = pay.Escrow ?? (announcedEscrow.Length > 0 ? announcedEscrow : throw new ModulusException(StatusCode.FailedPrecondition,
            $"{module} is paid but the host {host.Address} names no escrow in its handshake; it takes no payments"));
        var payer = pay.Payer ?? pay.Signer.Address;
        var key = PaymentTally.Key(payer, host.Address, host.ChainId, escrow, module);
        var cumulative = pay.Tally.Reserve(key, price);
        try
        {
            request.Voucher = new Protocol.Payments.VoucherDigest(host.ChainId, escrow).Sign(pay.Signer, payer, host.Address, module, cumulative);
        }
        catch
        {
            pay.Tally.Cancel(key, price);
            throw;
        }

        return new Reservation(pay.Tally, key, price);
    }

    private async Task<ModuleInfo> PriceOfAsync(string module, CancellationToken cancellationToken)
    {
        var now = _options.Clock.GetTimestamp();
        if (_prices.TryGetValue(module, out var cached) && _options.Clock.GetElapsedTime(cached.At, now) < PriceAge)
        {
            return cached.Info;
        }

        var info = await InfoAsync(module, cancellationToken).ConfigureAwait(false);
        _prices[module] = (info, now);
        return info;
    }

    private sealed record Reservation(PaymentTally Tally, string Key, System.Numerics.BigInteger Price);

    /// <summary>
    /// The host's identity (address and chain id) that signed calls name: <see cref="ModulusClientOptions.Host"/>
    /// when pinned, else learned once by a handshake in which the host signs a random challenge.
    /// </summary>
    /// <exception cref="ModulusException">UNAUTHENTICATED when the host cannot prove the identity it names.</exception>
    public async Task<HostIdentity> HostAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Host is { } pinned)
        {
            return pinned;
        }

        return (await HostInfoAsync(cancellationToken).ConfigureAwait(false)).Identity;
    }

    /// <summary>The host's identity (pinned or learned) and the escrow it names in its handshake ("" for none).</summary>
    private async Task<(HostIdentity Identity, string Escrow)> HostInfoAsync(CancellationToken cancellationToken)
    {
        var learning = Volatile.Read(ref _host);
        if (learning is null)
        {
            var fresh = LearnHostAsync();
            learning = Interlocked.CompareExchange(ref _host, fresh, null) ?? fresh;
        }

        try
        {
            return await learning.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ModulusException)
        {
            // A failed handshake (the host was down) is tried again by the next call.
            _ = Interlocked.CompareExchange(ref _host, null, learning);
            throw;
        }
    }

    private async Task<(HostIdentity, string)> LearnHostAsync()
    {
        // 48 bytes: the answer (about 120 bytes) stays within 3× of the request, as UDP answers to unvalidated sources must.
        var challenge = System.Security.Cryptography.RandomNumberGenerator.GetBytes(48);
        var info = await _transport.HostInfoAsync(new Protocol.V1.HostInfoRequest { Challenge = Google.Protobuf.ByteString.CopyFrom(challenge) }, CancellationToken.None).ConfigureAwait(false);
        var identity = CallSignature.VerifyHost(info, challenge);
        if (_options.Host is { } pinned && pinned != identity)
        {
            throw new ModulusException(StatusCode.Unauthenticated, $"the host proves {identity.Address} on chain {identity.ChainId}, not the pinned {pinned.Address} on chain {pinned.ChainId}");
        }

        return (identity, info.Escrow);
    }

    /// <summary>The modules the host serves, and the folders it failed to load.</summary>
    public async Task<ModuleListing> ListAsync(CancellationToken cancellationToken = default)
    {
        var response = await _transport.ListAsync(cancellationToken).ConfigureAwait(false);
        return new ModuleListing(
            response.Modules.Select(CallMapper.FromMessage).ToArray(),
            response.Faults.Select(f => new ModuleLoadFault(f.Path, f.Reason)).ToArray())
        {
            Loading = response.Loading.ToArray(),
        };
    }

    /// <summary>One module's description: version, language, endpoints and their signatures.</summary>
    /// <exception cref="ModulusException">NOT_FOUND when the host does not serve the module.</exception>
    public async Task<ModuleInfo> InfoAsync(string module, CancellationToken cancellationToken = default) =>
        CallMapper.FromMessage(await _transport.InfoAsync(module, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    private static (string Module, string Endpoint) ParseTarget(string target)
    {
        if (string.IsNullOrWhiteSpace(target) || target.StartsWith('/'))
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"\"{target}\" names no module; use MODULE or MODULE/ENDPOINT, e.g. text.tokenize/decode");
        }

        return ModuleCall.ParseTarget(target);
    }
}
