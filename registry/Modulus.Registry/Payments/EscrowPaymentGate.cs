using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Modules;
using Modulus.Protocol.Payments;
using Modulus.Protocol.Signing;
using Modulus.Registry.Chain;
using Modulus.Sdk;

namespace Modulus.Registry.Payments;

/// <summary>
/// The host's check of paid calls against the chain's escrow (the <see cref="IPaymentGate"/> a host
/// with a chain uses). A voucher is accepted when, in this order: it names this host, chain and
/// escrow (fields in clear, for the error); its EIP-712 signature over this host's own values
/// recovers the payer or a signer the payer authorized (and not revoking) on the escrow; its
/// cumulative amount, or a better voucher already held, covers everything served to the payer for
/// the module plus this call; and everything the payer's held vouchers promise this host, unredeemed,
/// is within its escrow balance less what is thawing. So every call answered is paid by a voucher the
/// host holds before it runs: a host never serves a call's credit unpaid, and a payer signs for at
/// most the call in flight beyond what it was served.
/// </summary>
internal sealed class EscrowPaymentGate : IPaymentGate, IDisposable
{
    private readonly HostIdentity _host;
    private readonly VoucherDigest _digest;
    private readonly EscrowContracts _chain;
    private readonly VoucherLedger _ledger;
    private readonly TimeProvider _time;
    private readonly PaymentOptions _options;
    private readonly ILogger<EscrowPaymentGate> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Tally>> _payers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (BigInteger Available, long At)> _balances = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Payer, string Signer), (bool Authorized, long At)> _signers = [];
    private readonly SemaphoreSlim _chainReads;
    private readonly RefusalBudget _refusals;
    private long _sweptAt;

    /// <param name="host">This host's address and chain (the vouchers' receiver).</param>
    /// <param name="chain">The escrow, read through any account (views only).</param>
    /// <param name="ledger">The ledger to record accepted vouchers in; it is owned by the gate from now on.</param>
    /// <param name="options">Cache ages.</param>
    /// <param name="time">The clock of the caches.</param>
    /// <param name="logger">Where chain and ledger failures are logged.</param>
    public EscrowPaymentGate(HostIdentity host, EscrowContracts chain, VoucherLedger ledger, IOptions<PaymentOptions> options, TimeProvider time, ILogger<EscrowPaymentGate> logger)
    {
        _host = host;
        _chain = chain;
        _ledger = ledger;
        _time = time;
        _options = options.Value;
        _logger = logger;
        if (_options.MaxChainReads < 1 || _options.ChainCacheEntries < 0 || _options.MaxRefusedVouchersPerSecond < 0)
        {
            throw new ArgumentException($"{PaymentOptions.SectionName}:MaxChainReads is {_options.MaxChainReads}, :ChainCacheEntries {_options.ChainCacheEntries} and :MaxRefusedVouchersPerSecond {_options.MaxRefusedVouchersPerSecond}; the first must be at least 1, the others at least 0 (0 keeps no cache, or sets no limit)");
        }

        _chainReads = new SemaphoreSlim(_options.MaxChainReads, _options.MaxChainReads);
        _refusals = new RefusalBudget(_options.MaxRefusedVouchersPerSecond, time);
        if ((ulong)chain.Deployment.ChainId != host.ChainId)
        {
            throw new ArgumentException($"the host answers on chain {host.ChainId} (Modulus:Identity:ChainId) but the escrow is on chain {chain.Deployment.ChainId}");
        }

        _digest = new VoucherDigest(host.ChainId, chain.Escrow);
        foreach (var entry in ledger.Entries)
        {
            TallyOf(entry.Payer, entry.Module).Load(entry);
        }
    }

    public string Escrow => _chain.Escrow;

    public HostIdentity Host => _host;

    public VoucherLedger Ledger => _ledger;

    public async ValueTask<PaymentHold> AuthorizeAsync(PaidCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (_refusals.Exhausted(call.Peer) is { } exhausted)
        {
            throw new ModulusException(StatusCode.ResourceExhausted, exhausted);
        }

        try
        {
            return await CheckAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (ModulusException ex) when (ex.Code is StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.InvalidArgument)
        {
            // The voucher's fault, not the host's (UNAVAILABLE, a chain it cannot read, is not counted).
            _refusals.Refused(call.Peer, ex.Message);
            throw;
        }
    }

    private async ValueTask<PaymentHold> CheckAsync(PaidCall call, CancellationToken cancellationToken)
    {
        var price = GptAmount.Format(call.Price);
        var v = call.Voucher ?? throw Denied(
            $"{call.Module} is paid: {price} $GPT per call (access.price). Send a voucher for this host {_host.Address} (chain {_host.ChainId}, escrow {Escrow}): " +
            $"deposit once with `modulus pay deposit {_host.Address} AMOUNT`, then `modulus call {call.Module} --pay` (C#: ModulusClientOptions.Payment)");
        if (!Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(v.Payer))
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"the voucher's payer \"{Bound(v.Payer)}\" is not an address (0x and 40 hex digits)");
        }

        if (v.Receiver.Length > 0 && !Same(v.Receiver, _host.Address))
        {
            throw Denied($"the voucher is for receiver {Bound(v.Receiver)}, this host is {_host.Address}; sign vouchers for the host you call (its address is in the handshake)");
        }

        if (v.ChainId != 0 && v.ChainId != _host.ChainId)
        {
            throw Denied($"the voucher is signed for chain {v.ChainId}, this host is paid on chain {_host.ChainId}");
        }

        if (v.Escrow.Length > 0 && !Same(v.Escrow, Escrow))
        {
            throw Denied($"the voucher is signed for escrow {Bound(v.Escrow)}, this host takes vouchers of escrow {Escrow}");
        }

        var amount = VoucherDigest.Amount(v.CumulativeAmount.Span);
        var signer = _digest.Recover(v.Payer, _host.Address, call.Module, amount, v.Signature.Span);
        if (v.Signer.Length > 0 && !Same(v.Signer, signer))
        {
            throw Denied($"the voucher claims signer {Bound(v.Signer)} but its signature recovers {signer}: it was signed for another host, chain, escrow, module or amount");
        }

        if (!Same(signer, v.Payer) && !await IsSignerAsync(v.Payer, signer, cancellationToken).ConfigureAwait(false))
        {
            throw Denied(v.Signer.Length > 0
                ? $"{signer} is not a signer of {v.Payer} on the escrow (or its revocation is under way); the payer authorizes one with `modulus pay authorize {signer}`"
                : $"the voucher's signature recovers {signer}, not the payer {v.Payer}: it was signed for another host, chain, escrow, module or amount, or by a key the payer did not authorize");
        }

        for (var attempt = 0; ; attempt++)
        {
            var available = await AvailableAsync(v.Payer, refresh: attempt > 0, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                // A payer is remembered once a call of theirs is accepted, not before: vouchers from
                // keys that never deposited cost the host no memory.
                var known = FindTally(v.Payer, call.Module);
                var (served, pending, held) = known is null ? (BigInteger.Zero, BigInteger.Zero, BigInteger.Zero) : (known.Served, known.Pending, known.Voucher);
                var need = served + pending + call.Hold;
                if (BigInteger.Max(held, amount) < need)
                {
                    var what = call.Hold == call.Price ? $"{price} for this call" : $"this call's credit of {GptAmount.Format(call.Hold)}";
                    throw Denied($"the voucher's cumulative amount {GptAmount.Format(amount)} $GPT {PaymentMessages.NotCovered}: {GptAmount.Format(served + pending)} $GPT served to {v.Payer} for {call.Module} so far (or in flight) plus {what} is {GptAmount.Format(need)}; sign a voucher for at least that");
                }

                var outstanding = Outstanding(v.Payer, call.Module, amount);
                if (outstanding <= available)
                {
                    var tally = known ?? TallyOf(v.Payer, call.Module);
                    tally.Pending += call.Hold;
                    // A valid voucher for more is the payer's promise whether or not this call
                    // succeeds (its one call of credit): hold it at once, so calls in flight whose
                    // vouchers arrive out of order are all covered. The ledger gets it at the next commit.
                    tally.Hold(amount, v.Signature.ToByteArray(), signer);
                    return new PaymentHold(v.Payer, call.Module, call.Hold, amount, v.Signature.ToByteArray(), signer);
                }

                if (attempt > 0)
                {
                    throw Denied($"{v.Payer}'s escrow for this host holds {GptAmount.Format(available)} $GPT not thawing, less than the {GptAmount.Format(outstanding)} $GPT its vouchers to this host would promise unredeemed with this call; deposit more with `modulus pay deposit {_host.Address} AMOUNT`");
                }
            }
        }
    }

    public async ValueTask CommitAsync(PaymentHold hold, BigInteger charged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hold);
        if (charged.Sign < 0 || charged > hold.Price)
        {
            throw new ArgumentOutOfRangeException(nameof(charged), charged, $"a call is charged at most what was held for it ({hold.Price} wei)");
        }

        // The entry is made and queued under the lock, so the ledger's records of one (payer,
        // module) follow the order of its tally; the sync is waited for outside it, so calls in
        // flight share it (the ledger's group commit).
        LedgerWrite write;
        lock (_gate)
        {
            var tally = TallyOf(hold.Payer, hold.Module);
            tally.Pending -= hold.Price;
            tally.Hold(hold.CumulativeAmount, hold.Signature, hold.Signer);
            var entry = new LedgerEntry(tally.Payer, hold.Module, tally.Served + charged, tally.Voucher, tally.Signature, tally.Signer, tally.Redeemed, tally.Calls + 1);
            try
            {
                write = _ledger.Append(entry);
            }
            catch (IOException ex)
            {
                throw NotRecorded(ex);
            }

            tally.Load(entry);
        }

        try
        {
            await _ledger.WaitAsync(write).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            lock (_gate)
            {
                TallyOf(hold.Payer, hold.Module).Unserve(charged);
            }

            throw NotRecorded(ex);
        }
    }

    public void Release(PaymentHold hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        lock (_gate)
        {
            TallyOf(hold.Payer, hold.Module).Pending -= hold.Price;
        }
    }

    /// <summary>The vouchers worth redeeming now: those above what the chain redeemed.</summary>
    public IReadOnlyList<LedgerEntry> Unredeemed() =>
        [.. _ledger.Entries.Where(e => e.Signature is not null && e.Voucher > e.Redeemed)];

    /// <summary>Records that the chain has redeemed (payer, module) up to <paramref name="cumulative"/>.</summary>
    /// <exception cref="IOException">The ledger could not record it (the chain's record stands; the next redemption learns it again).</exception>
    public async ValueTask MarkRedeemedAsync(string payer, string module, BigInteger cumulative)
    {
        LedgerWrite write;
        lock (_gate)
        {
            var tally = TallyOf(payer, module);
            if (cumulative <= tally.Redeemed)
            {
                return;
            }

            var entry = new LedgerEntry(tally.Payer, module, tally.Served, tally.Voucher, tally.Signature, tally.Signer, cumulative, tally.Calls);
            write = _ledger.Append(entry);
            tally.Load(entry);
            _balances.Remove(payer);
        }

        await _ledger.WaitAsync(write).ConfigureAwait(false);
    }

    /// <summary>Payers remembered (those with a call accepted) and chain reads cached: for tests of the bounds.</summary>
    internal (int Payers, int CachedReads) Remembered
    {
        get
        {
            lock (_gate)
            {
                return (_payers.Count, _balances.Count + _signers.Count);
            }
        }
    }

    public void Dispose()
    {
        _ledger.Dispose();
        _chainReads.Dispose();
    }

    private Tally? FindTally(string payer, string module) =>
        _payers.TryGetValue(payer, out var modules) && modules.TryGetValue(module, out var tally) ? tally : null;

    private Tally TallyOf(string payer, string module)
    {
        if (!_payers.TryGetValue(payer, out var modules))
        {
            _payers[payer] = modules = new Dictionary<string, Tally>(StringComparer.Ordinal);
        }

        if (!modules.TryGetValue(module, out var tally))
        {
            modules[module] = tally = new Tally(payer);
        }

        return tally;
    }

    /// <summary>What the payer's vouchers held by this host promise unredeemed, with <paramref name="amount"/> for <paramref name="module"/>.</summary>
    private BigInteger Outstanding(string payer, string module, BigInteger amount)
    {
        if (!_payers.TryGetValue(payer, out var modules))
        {
            return amount;
        }

        var total = modules.ContainsKey(module) ? BigInteger.Zero : amount;
        foreach (var (name, tally) in modules)
        {
            var voucher = name == module ? BigInteger.Max(tally.Voucher, amount) : tally.Voucher;
            total += BigInteger.Max(BigInteger.Zero, voucher - tally.Redeemed);
        }

        return total;
    }

    private async ValueTask<BigInteger> AvailableAsync(string payer, bool refresh, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_balances.TryGetValue(payer, out var cached) && _time.GetElapsedTime(cached.At, now) < (refresh ? TimeSpan.FromMilliseconds(250) : _options.ChainCacheAge))
            {
                return cached.Available;
            }
        }

        var account = await ReadChainAsync(() => _chain.AccountOfAsync(payer, _host.Address), cancellationToken).ConfigureAwait(false);
        // Money thawing still pays vouchers until it is withdrawn, but it may be withdrawn at the
        // end of the thaw: the host lends nothing on it.
        var available = account.Balance - account.Thawing;
        lock (_gate)
        {
            Remember(_balances, payer, (Available: available, At: now), e => e.At);
        }

        return available;
    }

    private async ValueTask<bool> IsSignerAsync(string payer, string signer, CancellationToken cancellationToken)
    {
        var now = _time.GetTimestamp();
        var key = (payer.ToLowerInvariant(), signer.ToLowerInvariant());
        lock (_gate)
        {
            if (_signers.TryGetValue(key, out var cached) && _time.GetElapsedTime(cached.At, now) < _options.ChainCacheAge)
            {
                return cached.Authorized;
            }
        }

        // Only a signer not being revoked counts: a revoked signer's vouchers are redeemable only
        // until its revocation's thaw ends, so a host accepts none of them for new calls.
        var until = await ReadChainAsync(() => _chain.SignerValidUntilAsync(payer, signer), cancellationToken).ConfigureAwait(false);
        var authorized = until == BigInteger.Pow(2, 256) - 1;
        lock (_gate)
        {
            Remember(_signers, key, (Authorized: authorized, At: now), e => e.At);
        }

        return authorized;
    }

    /// <summary>
    /// Caches a chain read, in at most <see cref="PaymentOptions.ChainCacheEntries"/> entries: when
    /// full, entries past their age go first, and when none has aged the read is not kept, so a flood
    /// of vouchers from new keys costs chain reads (at most <see cref="PaymentOptions.MaxChainReads"/>
    /// at once) but not memory.
    /// </summary>
    private void Remember<TKey, TValue>(Dictionary<TKey, TValue> cache, TKey key, TValue value, Func<TValue, long> at)
        where TKey : notnull
    {
        if (cache.Count >= _options.ChainCacheEntries && !cache.ContainsKey(key))
        {
            // One sweep per cache age at most: a full cache is not swept again on every read.
            var now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_sweptAt, now) < _options.ChainCacheAge)
            {
                return;
            }

            _sweptAt = now;
            foreach (var (k, v) in cache)
            {
                if (_time.GetElapsedTime(at(v), now) >= _options.ChainCacheAge)
                {
                    cache.Remove(k);
                }
            }

            if (cache.Count >= _options.ChainCacheEntries)
            {
                return;
            }
        }

        cache[key] = value;
    }

    private async Task<T> ReadChainAsync<T>(Func<Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await _chainReads.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new ModulusException(StatusCode.Unavailable, $"this host's reads of the escrow are all busy ({_options.MaxChainReads} at once) and the call ended before one was free; retry later");
        }

        try
        {
            return await RegistryFailures.RunAsync(read).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex)
        {
            PaymentLog.ChainReadFailed(_logger, ex.Message);
            throw new ModulusException(StatusCode.Unavailable, $"this host cannot read the escrow on chain {_host.ChainId} to check the voucher ({ex.Message}); retry later");
        }
        finally
        {
            _chainReads.Release();
        }
    }

    private ModulusException NotRecorded(IOException ex)
    {
        PaymentLog.LedgerWriteFailed(_logger, _ledger.Path, ex);
        return new ModulusException(StatusCode.Internal, $"this host could not record the payment ({ex.Message.TrimEnd('.')}); the call was not charged");
    }

    private static ModulusException Denied(string message) => new(StatusCode.PermissionDenied, message);

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Bound(string text)
    {
        var shown = new string([.. text.Take(64).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '?')]);
        return text.Length > 64 ? shown + "…" : shown;
    }

    private sealed class Tally(string payer)
    {
        public string Payer { get; } = payer;

        public BigInteger Served { get; private set; }

        public BigInteger Voucher { get; private set; }

        public byte[]? Signature { get; private set; }

        public string? Signer { get; private set; }

        public BigInteger Redeemed { get; private set; }

        public long Calls { get; private set; }

        public BigInteger Pending { get; set; }

        public void Hold(BigInteger amount, byte[] signature, string signer)
        {
            if (amount > Voucher)
            {
                (Voucher, Signature, Signer) = (amount, signature, signer);
            }
        }

        /// <summary>Takes back a call whose record could not be written (its answer is not sent).</summary>
        public void Unserve(BigInteger charged)
        {
            Served -= charged;
            Calls--;
        }

        public void Load(LedgerEntry entry)
        {
            (Served, Voucher, Signature, Signer, Redeemed, Calls) = (entry.Served, entry.Voucher, entry.Signature, entry.Signer, entry.Redeemed, entry.Calls);
        }
    }
}

internal static partial class PaymentLog
{
    [LoggerMessage(1410, LogLevel.Error, "Could not write the voucher ledger {Path}; the call is refused", EventName = "LedgerWriteFailed")]
    public static partial void LedgerWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(1411, LogLevel.Warning, "Could not read the escrow to check a voucher: {Reason}", EventName = "EscrowReadFailed")]
    public static partial void ChainReadFailed(ILogger logger, string reason);

    [LoggerMessage(1420, LogLevel.Information, "Redeemed {Count} vouchers for {Amount} $GPT in {Transactions} transactions", EventName = "Redeemed")]
    public static partial void Redeemed(ILogger logger, int count, string amount, int transactions);

    [LoggerMessage(1421, LogLevel.Warning, "Voucher of {Payer} for {Module} ({Amount} $GPT) skipped by the escrow: {Reason}", EventName = "RedeemSkipped")]
    public static partial void RedeemSkipped(ILogger logger, string payer, string module, string amount, string reason);

    [LoggerMessage(1422, LogLevel.Warning, "Redemption failed ({Reason}); retrying in {Delay}", EventName = "RedeemFailed")]
    public static partial void RedeemFailed(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(1423, LogLevel.Information, "Redeeming before shutdown: {Amount} $GPT owed in {Count} vouchers", EventName = "RedeemOnShutdown")]
    public static partial void RedeemOnShutdown(ILogger logger, string amount, int count);
}
