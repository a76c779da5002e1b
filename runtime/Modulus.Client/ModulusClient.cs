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

            var payment = _options.Payment is { } pay ? await PayAsync(pay, request, module, endpoint, cancellationToken).ConfigureAwait(false) : null;
            Protocol.V1.CallResponse response;
            try
            {
                response = await _transport.CallAsync(request, deadline.UtcDateTime, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // No answer: the host may have served and charged the call, or not.
                payment?.Lose(0);
                throw;
            }

            if (payment is null)
            {
                return CallMapper.ResultOf(response);
            }

            if (response.OutcomeCase == Protocol.V1.CallResponse.OutcomeOneofCase.Result)
            {
                // A streaming endpoint called for one answer answers with the list of its items.
                var items = response.Result.KindCase == Protocol.V1.Value.KindOneofCase.ListValue ? response.Result.ListValue.Items.Count : 0;
                payment.Settle(items);
                return CallMapper.ResultOf(response);
            }

            payment.Cancel();
            // The host served a call whose answer was lost before: pay for it, once per such call, and try again.
            if (payment.Refused(response.Error.Code, response.Error.Message))
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
        while (true)
        {
            if (_options.Signer is { } signer)
            {
                CallSignature.Sign(request, signer, await HostAsync(cancellationToken).ConfigureAwait(false), _options.Clock.GetUtcNow());
            }

            var payment = _options.Payment is { } pay ? await PayAsync(pay, request, module, endpoint, cancellationToken).ConfigureAwait(false) : null;
            var items = 0L;
            var settled = false;
            var retry = false;
            var responses = _transport.StreamAsync(request, deadline.UtcDateTime, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    Protocol.V1.CallResponse response;
                    try
                    {
                        if (!await responses.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }

                        response = responses.Current;
                    }
                    catch (ModulusException ex) when (payment is not null && ex.Code is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled))
                    {
                        // The host's own answer, so every item it sent has arrived: a stream that
                        // delivered something is charged for it (a metered one stopped at its
                        // credit, say); one refused before anything was served is not charged, and
                        // when the refusal is for a call whose answer was lost before, the client
                        // pays for that one and tries again.
                        settled = true;
                        if (items > 0)
                        {
                            payment.Settle(items);
                            throw;
                        }

                        payment.Cancel();
                        if (payment.Refused((int)ex.Code, ex.Message))
                        {
                            retry = true;
                            break;
                        }

                        throw;
                    }

                    if (response.OutcomeCase == Protocol.V1.CallResponse.OutcomeOneofCase.Item)
                    {
                        items++;
                        yield return ValueMapper.FromMessage(response.Item);
                        continue;
                    }

                    payment?.Settle(items);
                    settled = true;
                }
            }
            finally
            {
                if (!settled)
                {
                    // Ended early or failed: the host charged at least the items that arrived (a
                    // stream that delivered something is charged), perhaps more that did not.
                    payment?.Lose(items);
                }

                await responses.DisposeAsync().ConfigureAwait(false);
            }

            if (!retry)
            {
                yield break;
            }

            request.Voucher = null;
        }
    }

    /// <summary>
    /// Attaches a voucher to a call of a paid module; null when the module is free. A call holds its
    /// price; a metered call (a streaming endpoint with a price per 1,000 tokens) holds the caller's
    /// maximum price per call as its credit, so the host streams as many tokens as that pays for.
    /// </summary>
    private async Task<Reservation?> PayAsync(ModulusPaymentOptions pay, Protocol.V1.CallRequest request, string module, string endpoint, CancellationToken cancellationToken)
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

        var streaming = info.Endpoints.FirstOrDefault(e => e.Name == endpoint)?.Streaming == true;
        var charge = new Protocol.Payments.CallCharge(price, streaming && info.PricePer1kTokens is { } perThousand ? Modules.GptAmount.Parse(perThousand) : System.Numerics.BigInteger.Zero);
        if (charge.ItemsCovered(max) == 0)
        {
            throw new ModulusException(StatusCode.FailedPrecondition,
                $"{module} costs {info.Price} $GPT per call plus {info.PricePer1kTokens} per 1,000 tokens, and this caller's maximum of {Modules.GptAmount.ToDecimalString(max)} per call (--max-price, ModulusPaymentOptions.MaxPricePerCall) pays for no token; nothing was signed or sent");
        }

        var hold = charge.Metered ? max : price;
        var (host, announcedEscrow) = await HostInfoAsync(cancellationToken).ConfigureAwait(false);
        var escrow = pay.Escrow ?? (announcedEscrow.Length > 0 ? announcedEscrow : throw new ModulusException(StatusCode.FailedPrecondition,
            $"{module} is paid but the host {host.Address} names no escrow in its handshake; it takes no payments"));
        var payer = pay.Payer ?? pay.Signer.Address;
        var key = PaymentTally.Key(payer, host.Address, host.ChainId, escrow, module);
        var cumulative = pay.Tally.Reserve(key, hold);
        try
        {
            request.Voucher = new Protocol.Payments.VoucherDigest(host.ChainId, escrow).Sign(pay.Signer, payer, host.Address, module, cumulative);
            if (charge.Metered)
            {
                request.Voucher.Credit = Google.Protobuf.ByteString.CopyFrom(Protocol.Payments.VoucherDigest.AmountBytes(hold));
            }
        }
        catch
        {
            pay.Tally.Cancel(key, hold);
            throw;
        }

        return new Reservation(pay.Tally, key, hold, charge);
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

    /// <summary>One paid call's hold on the tally, settled by what the call delivered.</summary>
    private sealed record Reservation(PaymentTally Tally, string Key, System.Numerics.BigInteger Hold, Protocol.Payments.CallCharge Charge)
    {
        /// <summary>The call was answered, with <paramref name="items"/> items: it cost what the host charges for them.</summary>
        public void Settle(long items) => Tally.Settle(Key, Hold, Charge.For(items));

        /// <summary>The answer was lost after <paramref name="items"/> items: those are paid (the host charges a stream that delivered something), the rest of the hold is uncertain.</summary>
        public void Lose(long items) => Tally.Lose(Key, Hold, items > 0 ? Charge.For(items) : System.Numerics.BigInteger.Zero);

        /// <summary>The host refused or failed the call before it delivered anything: not charged.</summary>
        public void Cancel() => Tally.Cancel(Key, Hold);

        /// <summary>Whether the host's refusal says it served a call whose answer was lost, and one such call's price could be conceded: then the call is worth sending again.</summary>
        public bool Refused(int code, string message) =>
            code == (int)StatusCode.PermissionDenied
            && message.Contains(Protocol.Payments.PaymentMessages.NotCovered, StringComparison.Ordinal)
            && Tally.Concede(Key, Charge.Price);
    }

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
