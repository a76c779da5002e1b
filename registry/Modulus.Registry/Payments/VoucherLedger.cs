using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Modulus.Registry.Payments;

/// <summary>
/// The host's durable record of paid calls: per (payer, module), what it has served, the best voucher
/// it holds (highest cumulative amount, with its signature) and what the chain has redeemed. An
/// append-only file of one line per change, each line <c>CHECK JSON</c> where CHECK is the first 8
/// hex digits of the SHA-256 of the JSON; every append is flushed to disk (fsync) before it returns,
/// so a voucher the host accepted is on disk before the host answers the call, and after a
/// <c>kill -9</c> every answered call is still redeemable. A torn last line (the process died while
/// writing it) fails its check, is ignored with a warning and cut off, so appends continue after the
/// last whole line. Later lines win: opening replays the file into the latest state.
/// </summary>
internal sealed class VoucherLedger : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly Dictionary<(string Payer, string Module), LedgerEntry> _entries = [];
    private readonly Lock _gate = new();
    private readonly FileStream? _file;
    private readonly FileStream? _lock;

    private VoucherLedger(string path, FileStream? file, FileStream? fileLock = null)
    {
        Path = path;
        _file = file;
        _lock = fileLock;
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    /// <summary>Opens (or creates) the ledger for writing: replays it, cuts off a torn tail, and appends after it.</summary>
    /// <exception cref="IOException">The file cannot be opened (another host holds it, say).</exception>
    public static VoucherLedger Open(string path, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        // One writer: PATH.lock held exclusively (an advisory lock on Unix, which FileShare alone is
        // not) for as long as the ledger is open; readers (`modulus earnings`) need no lock.
        FileStream fileLock;
        try
        {
            fileLock = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"the voucher ledger {path} is held by another process (a running host)", ex);
        }

        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, 4096, FileOptions.None);
        var ledger = new VoucherLedger(path, file, fileLock);
        var goodLength = ledger.Replay(file, logger);
        if (goodLength < file.Length)
        {
            file.SetLength(goodLength);
            file.Flush(flushToDisk: true);
        }

        file.Seek(0, SeekOrigin.End);
        return ledger;
    }

    /// <summary>Reads the ledger without writing to it (the host may be running): for <c>modulus earnings</c> and <c>modulus redeem</c>.</summary>
    public static VoucherLedger ReadOnly(string path, ILogger? logger = null)
    {
        var ledger = new VoucherLedger(path, null);
        if (File.Exists(path))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            ledger.Replay(file, logger ?? NullLogger.Instance);
        }

        return ledger;
    }

    /// <summary>Every (payer, module) the ledger knows, ordered by module, then payer.</summary>
    public IReadOnlyList<LedgerEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries.Values.OrderBy(e => e.Module, StringComparer.Ordinal).ThenBy(e => e.Payer, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The entry of (payer, module), or null.</summary>
    public LedgerEntry? Find(string payer, string module)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault((payer.ToLowerInvariant(), module));
        }
    }

    /// <summary>Records a served call and the voucher that pays for it, durably, before returning.</summary>
    /// <param name="entry">The new state of (payer, module): served, best voucher, redeemed.</param>
    /// <exception cref="IOException">It could not be written; the call must not be answered.</exception>
    public void Write(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var file = _file ?? throw new InvalidOperationException("This ledger was opened read-only.");
        var record = new Record(entry.Payer, entry.Module, entry.Served.ToString(CultureInfo.InvariantCulture), entry.Voucher.ToString(CultureInfo.InvariantCulture),
            entry.Signature is null ? null : Convert.ToHexStringLower(entry.Signature), entry.Signer, entry.Redeemed.ToString(CultureInfo.InvariantCulture), entry.Calls);
        var json = JsonSerializer.Serialize(record, Json);
        var line = Encoding.UTF8.GetBytes($"{Check(json)} {json}\n");
        lock (_gate)
        {
            file.Write(line);
            file.Flush(flushToDisk: true);
            _entries[(entry.Payer.ToLowerInvariant(), entry.Module)] = entry;
        }
    }

    public void Dispose()
    {
        _file?.Dispose();
        _lock?.Dispose();
    }

    private long Replay(Stream file, ILogger logger)
    {
        file.Seek(0, SeekOrigin.Begin);
        using var reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, 4096, leaveOpen: true);
        var content = reader.ReadToEnd();
        long good = 0;
        var offset = 0;
        var number = 0;
        while (offset < content.Length)
        {
            number++;
            var end = content.IndexOf('\n', offset);
            var line = end < 0 ? content[offset..] : content[offset..end];
            var next = end < 0 ? content.Length : end + 1;
            if (end >= 0 && TryParse(line, out var entry))
            {
                _entries[(entry.Payer.ToLowerInvariant(), entry.Module)] = entry;
                good += Encoding.UTF8.GetByteCount(content.AsSpan(offset, next - offset));
            }
            else if (next >= content.Length)
            {
                LedgerLog.TornTail(logger, Path, number, Encoding.UTF8.GetByteCount(line));
                break;
            }
            else
            {
                // A damaged line within the file: what it recorded is superseded by any later line
                // of the same (payer, module); say so, keep going.
                LedgerLog.DamagedLine(logger, Path, number);
                good += Encoding.UTF8.GetByteCount(content.AsSpan(offset, next - offset));
            }

            offset = next;
        }

        return good;
    }

    private static bool TryParse(string line, out LedgerEntry entry)
    {
        entry = null!;
        if (line.Length < 10 || line[8] != ' ')
        {
            return false;
        }

        var json = line[9..];
        if (!string.Equals(line[..8], Check(json), StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var r = JsonSerializer.Deserialize<Record>(json, Json);
            if (r is null)
            {
                return false;
            }

            entry = new LedgerEntry(r.Payer, r.Module, BigInteger.Parse(r.Served, CultureInfo.InvariantCulture), BigInteger.Parse(r.Voucher, CultureInfo.InvariantCulture),
                r.Signature is null ? null : Convert.FromHexString(r.Signature), r.Signer, BigInteger.Parse(r.Redeemed, CultureInfo.InvariantCulture), r.Calls);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return false;
        }
    }

    private static string Check(string json) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)), 0, 4);

    private sealed record Record(
        [property: JsonPropertyName("payer")] string Payer,
        [property: JsonPropertyName("module")] string Module,
        [property: JsonPropertyName("served")] string Served,
        [property: JsonPropertyName("voucher")] string Voucher,
        [property: JsonPropertyName("signature")] string? Signature,
        [property: JsonPropertyName("signer")] string? Signer,
        [property: JsonPropertyName("redeemed")] string Redeemed,
        [property: JsonPropertyName("calls")] long Calls);
}

/// <summary>What a host knows of one payer for one module; amounts in wei.</summary>
/// <param name="Payer">The payer's address.</param>
/// <param name="Module">The module.</param>
/// <param name="Served">The price of every call served to the payer for the module, summed.</param>
/// <param name="Voucher">The highest cumulative amount of a voucher accepted (at least <paramref name="Served"/>).</param>
/// <param name="Signature">That voucher's signature; null when there is none yet.</param>
/// <param name="Signer">Who signed it.</param>
/// <param name="Redeemed">What the chain has paid for (payer, host, module): the cumulative amount last redeemed.</param>
/// <param name="Calls">Calls served.</param>
internal sealed record LedgerEntry(string Payer, string Module, BigInteger Served, BigInteger Voucher, byte[]? Signature, string? Signer, BigInteger Redeemed, long Calls)
{
    /// <summary>What redeeming the best voucher would pay now.</summary>
    public BigInteger Unredeemed => BigInteger.Max(BigInteger.Zero, Voucher - Redeemed);
}

internal static partial class LedgerLog
{
    [LoggerMessage(1401, LogLevel.Warning, "The voucher ledger {Path} ends in a torn record (line {Line}, {Bytes} bytes, written when the host stopped mid-write); ignored and cut off, every whole record before it is kept", EventName = "LedgerTornTail")]
    public static partial void TornTail(ILogger logger, string path, int line, int bytes);

    [LoggerMessage(1402, LogLevel.Warning, "The voucher ledger {Path} has a damaged record at line {Line}; skipped (a later record of the same payer and module supersedes it)", EventName = "LedgerDamagedLine")]
    public static partial void DamagedLine(ILogger logger, string path, int line);
}
