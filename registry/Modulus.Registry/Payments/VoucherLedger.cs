using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Modulus.Registry.Payments;

/// <summary>
/// The host's durable record of paid calls: per (payer, module), what it has served, the best voucher
/// it holds (highest cumulative amount, with its signature) and what the chain has redeemed. A file of
/// one line per change, each line <c>CHECK JSON</c> where CHECK is the first 8 hex digits of the
/// SHA-256 of the JSON; later lines win, so opening replays the file into the latest state.
/// </summary>
/// <remarks>
/// <para>Every write is on disk (fsync) before <see cref="WaitAsync"/> returns, so a voucher the host
/// accepted is on disk before the host answers the call, and after a <c>kill -9</c> every answered call
/// is still redeemable.</para>
/// <para>Two things keep that fsync cheap. The file is grown ahead of its records in zero-filled
/// chunks (<see cref="Chunk"/> bytes, written and synced once), and records overwrite those zeros in
/// place: a sync then writes one data block and no file size or block map, about a third cheaper per
/// call on ext4 than appending. And writes are committed in groups: calls that commit while a sync
/// is under way queue their lines, and the next sync (run by the first of them, on its own thread)
/// writes them all at once, so paid calls in flight share syncs instead of waiting in line for one each.</para>
/// <para>The records end at the first zero byte. A torn last record (the process died mid-write)
/// fails its check, is ignored with a warning and zeroed, so writes continue after the last whole
/// record. A failed write or sync leaves the ledger failed: every later write is refused until the
/// host restarts and replays what is on disk, since after a failed fsync the kernel may have
/// dropped the pages it could not write, and a retry would report success for data that is gone.</para>
/// </remarks>
internal sealed class VoucherLedger : IDisposable
{
    /// <summary>How far the file is grown ahead of its records at a time.</summary>
    internal const int Chunk = 1 << 20;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly Dictionary<(string Payer, string Module), LedgerEntry> _entries = [];
    private readonly Lock _gate = new();
    private readonly SafeFileHandle? _file;
    private readonly FileStream? _lock;
    private readonly List<LedgerWrite> _queue = [];
    private readonly List<int> _damaged = [];
    private long _end;
    private long _allocated;
    private bool _syncing;
    private Exception? _failed;

    private VoucherLedger(string path, SafeFileHandle? file, FileStream? fileLock = null)
    {
        Path = path;
        _file = file;
        _lock = fileLock;
    }

    /// <summary>The ledger file.</summary>
    public string Path { get; }

    /// <summary>Bytes of whole records (the file beyond them is zeros, grown ahead).</summary>
    public long Length
    {
        get
        {
            lock (_gate)
            {
                return _end;
            }
        }
    }

    /// <summary>Opens (or creates) the ledger for writing: replays it, zeroes a torn tail, and writes after it.</summary>
    /// <exception cref="IOException">The file cannot be opened (another host holds it, say).</exception>
    /// <exception cref="InvalidDataException">The path is a directory, or the file holds bytes but no voucher record: it is not a ledger, and is left as it is.</exception>
    public static VoucherLedger Open(string path, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (NotAFile(path) is { } notAFile)
        {
            throw new InvalidDataException(notAFile);
        }

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

        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }

        var ledger = new VoucherLedger(path, file, fileLock);
        try
        {
            var content = ReadAll(file);
            var (good, dirty) = ledger.Replay(content, logger);
            if (dirty > good)
            {
                // What lies after the last whole record was never acknowledged: zero it, so the
                // next records are not followed by its remains.
                RandomAccess.Write(file, new byte[dirty - good], good);
                RandomAccess.FlushToDisk(file);
            }

            ledger._end = good;
            ledger._allocated = content.Length;
        }
        catch
        {
            // Not ledger.Dispose(): it trims the file to its records, and a file refused here
            // (not a ledger, or unreadable) is left exactly as it was.
            file.Dispose();
            fileLock.Dispose();
            throw;
        }

        return ledger;
    }

    /// <summary>Reads the ledger without writing to it (the host may be running): for <c>modulus earnings</c> and <c>modulus redeem</c>.</summary>
    /// <exception cref="InvalidDataException">The path is a directory, or the file holds bytes but no voucher record: it is not a ledger.</exception>
    public static VoucherLedger ReadOnly(string path, ILogger? logger = null)
    {
        if (NotAFile(path) is { } notAFile)
        {
            throw new InvalidDataException(notAFile);
        }

        var ledger = new VoucherLedger(path, null);
        if (File.Exists(path))
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            ledger.Replay(ReadAll(file), logger ?? NullLogger.Instance);
        }

        return ledger;
    }

    /// <summary>Why <paramref name="path"/> cannot hold a ledger (it is a directory), or null when it can.</summary>
    public static string? NotAFile(string path) => Directory.Exists(path)
        ? $"the voucher ledger {path} is a directory: pass the ledger file itself (--ledger FILE, or Modulus:Payments:LedgerFile; a host writes it by default at $MODULUS_HOME/payments/vouchers.log)"
        : null;

    /// <summary>The lines, counted from 1, that were damaged when the ledger was read (skipped: a later record of the same payer and module supersedes each).</summary>
    public IReadOnlyList<int> DamagedLines => _damaged;

    /// <summary>Every (payer, module) the ledger holds on disk, ordered by module, then payer.</summary>
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

    /// <summary>The entry of (payer, module) on disk, or null.</summary>
    public LedgerEntry? Find(string payer, string module)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault((payer.ToLowerInvariant(), module));
        }
    }

    /// <summary>
    /// Queues the new state of (payer, module) to be written; no I/O. Records reach the file in the
    /// order they are queued, so a caller that computes entries under its own lock queues them there
    /// too, and waits for them with <see cref="WaitAsync"/> outside it.
    /// </summary>
    /// <param name="entry">The new state of (payer, module): served, best voucher, redeemed.</param>
    /// <exception cref="IOException">The ledger failed earlier; nothing more is written until the host restarts.</exception>
    public LedgerWrite Append(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_file is null)
        {
            throw new InvalidOperationException("This ledger was opened read-only.");
        }

        var record = new Record(entry.Payer, entry.Module, entry.Served.ToString(CultureInfo.InvariantCulture), entry.Voucher.ToString(CultureInfo.InvariantCulture),
            entry.Signature is null ? null : Convert.ToHexStringLower(entry.Signature), entry.Signer, entry.Redeemed.ToString(CultureInfo.InvariantCulture), entry.Calls);
        var json = JsonSerializer.Serialize(record, Json);
        var write = new LedgerWrite(entry, Encoding.UTF8.GetBytes($"{Check(json)} {json}\n"));
        lock (_gate)
        {
            if (_failed is not null)
            {
                throw Failed();
            }

            _queue.Add(write);
        }

        return write;
    }

    /// <summary>
    /// Returns once <paramref name="write"/> is on disk: runs the next sync itself when none is under
    /// way, or waits for the one that takes it. It takes no cancellation token: the record is written
    /// whether or not this caller waits, and a caller must not answer before it is.
    /// </summary>
    /// <exception cref="IOException">It could not be written; the call must not be answered.</exception>
    public async ValueTask WaitAsync(LedgerWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        bool lead;
        lock (_gate)
        {
            lead = !_syncing;
            _syncing = true;
            write.Waiting = !lead;
        }

        // Not leading: the sync under way or a later one writes it (true), or it fails (throws), or
        // the sync before ends with this write still queued and hands the next one to this waiter (false).
        if (!lead && await write.Turn.Task.ConfigureAwait(false))
        {
            return;
        }

        // The queue holds this write, unless a sync that has ended took it: either way it is settled after this.
        Sync();
        lock (_gate)
        {
            if (write.Error is not null)
            {
                throw Failed();
            }

            Debug.Assert(write.Durable, "a write is settled by the sync that takes it");
        }
    }

    /// <summary>Writes an entry and returns once it is on disk (<see cref="Append"/>, then <see cref="WaitAsync"/>).</summary>
    /// <exception cref="IOException">It could not be written.</exception>
    public ValueTask WriteAsync(LedgerEntry entry) => WaitAsync(Append(entry));

    public void Dispose()
    {
        lock (_gate)
        {
            _failed ??= new ObjectDisposedException(nameof(VoucherLedger));
            if (_file is { IsClosed: false } && !_syncing)
            {
                // A clean close leaves no zeros for a reader (or `tail`) to see; they are grown again on open.
                try
                {
                    RandomAccess.SetLength(_file, _end);
                }
                catch (IOException)
                {
                    // The zeros stay; the next open reads past them as it does after a crash.
                }
            }
        }

        _file?.Dispose();
        _lock?.Dispose();
    }

    /// <summary>
    /// Writes every queued line in one go and syncs once, then hands the next sync to a waiter whose
    /// line is queued, or ends. Lines queued by callers not yet waiting are synced here too, in the
    /// next round: the sync is handed only to a caller known to be waiting for it, so it never stalls.
    /// </summary>
    private void Sync()
    {
        while (true)
        {
            LedgerWrite[] batch;
            long at;
            Exception? failed;
            lock (_gate)
            {
                batch = [.. _queue];
                _queue.Clear();
                at = _end;
                failed = _failed;
            }

            if (failed is null && batch.Length > 0)
            {
                try
                {
                    var bytes = batch.Sum(w => (long)w.Line.Length);
                    if (at + bytes > _allocated)
                    {
                        var grown = (at + bytes + Chunk) / Chunk * Chunk;
                        RandomAccess.Write(_file!, new byte[grown - _allocated], _allocated);
                        _allocated = grown;
                    }

                    RandomAccess.Write(_file!, [.. batch.Select(w => (ReadOnlyMemory<byte>)w.Line)], at);
                    RandomAccess.FlushToDisk(_file!);
                    at += bytes;
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
                {
                    failed = ex;
                }
            }

            LedgerWrite? next = null;
            var again = false;
            lock (_gate)
            {
                if (failed is null)
                {
                    _end = at;
                    foreach (var w in batch)
                    {
                        _entries[(w.Entry.Payer.ToLowerInvariant(), w.Entry.Module)] = w.Entry;
                        w.Durable = true;
                    }
                }
                else
                {
                    _failed ??= failed;
                    foreach (var w in batch)
                    {
                        w.Error = failed;
                    }
                }

                if (_queue.Count == 0)
                {
                    _syncing = false;
                }
                else
                {
                    next = _queue.Find(w => w.Waiting);
                    again = next is null;
                }
            }

            foreach (var w in batch)
            {
                // A write handed this sync (its Turn already false) is settled by Durable and Error.
                if (failed is null)
                {
                    w.Turn.TrySetResult(true);
                }
                else
                {
                    w.Turn.TrySetException(Failed());
                }
            }

            if (!again)
            {
                next?.Turn.TrySetResult(false);
                return;
            }
        }
    }

    private IOException Failed() => new(_failed is ObjectDisposedException
        ? $"the voucher ledger {Path} is closed"
        : $"the voucher ledger {Path} failed ({_failed?.Message.TrimEnd('.')}); nothing more is recorded until the host restarts", _failed);

    private static byte[] ReadAll(SafeFileHandle file)
    {
        var content = new byte[RandomAccess.GetLength(file)];
        var read = 0;
        while (read < content.Length)
        {
            var n = RandomAccess.Read(file, content.AsSpan(read), read);
            if (n == 0)
            {
                return content[..read];
            }

            read += n;
        }

        return content;
    }

    /// <summary>Replays the records into the entries.</summary>
    /// <returns>The bytes of whole records, and the end of the last nonzero byte (beyond it when a torn record or its remains lie after them).</returns>
    private (long Good, long Dirty) Replay(byte[] content, ILogger logger)
    {
        var span = content.AsSpan();
        var zero = span.IndexOf((byte)0);
        var records = zero < 0 ? span : span[..zero];
        var good = 0;
        var offset = 0;
        var number = 0;
        var whole = 0;
        var torn = false;
        while (offset < records.Length)
        {
            number++;
            var rest = records[offset..];
            var end = rest.IndexOf((byte)'\n');
            if (end < 0)
            {
                if (whole == 0 && (!IsRecordPrefix(rest) || _damaged.Count > 0))
                {
                    throw NotALedger(_damaged.Count > 0 ? _damaged[0] : number);
                }

                LedgerLog.TornTail(logger, Path, number, rest.Length);
                torn = true;
                break;
            }

            if (TryParse(Encoding.UTF8.GetString(rest[..end]), out var entry))
            {
                _entries[(entry.Payer.ToLowerInvariant(), entry.Module)] = entry;
                whole++;
            }
            else
            {
                // A damaged line within the file: what it recorded is superseded by any later line
                // of the same (payer, module); said once the file is known to be a ledger.
                _damaged.Add(number);
            }

            offset += end + 1;
            good = offset;
        }

        if (whole == 0 && _damaged.Count > 0)
        {
            // Lines, and not one of them a record: another file, not a ledger whose records were
            // damaged. Refused, so that it is neither read as "nothing owed" nor zeroed by a writer.
            throw NotALedger(_damaged[0]);
        }

        foreach (var line in _damaged)
        {
            LedgerLog.DamagedLine(logger, Path, line);
        }

        var dirty = span.LastIndexOfAnyExcept((byte)0) + 1;
        if (dirty > good && !torn)
        {
            // Zeros after the records, then bytes again: a later record's page reached the disk
            // before an earlier one's did, and neither was acknowledged.
            LedgerLog.TornTail(logger, Path, number + 1, dirty - good);
        }

        return (good, Math.Max(good, dirty));
    }

    /// <summary>Whether the bytes could begin a record (8 lowercase hex digits, a space, a JSON object): what a write cut short leaves.</summary>
    private static bool IsRecordPrefix(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length && i < 10; i++)
        {
            var ok = i switch
            {
                < 8 => bytes[i] is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f',
                8 => bytes[i] == (byte)' ',
                _ => bytes[i] == (byte)'{',
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private InvalidDataException NotALedger(int line) => new(
        $"{Path} is not a voucher ledger: it holds no record, and its line {line} is not one (a ledger's lines are 8 hex digits of checksum, a space and a JSON record); " +
        "point --ledger (or Modulus:Payments:LedgerFile) at the file a host wrote, or move this file away");

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

/// <summary>A record queued in the <see cref="VoucherLedger"/>: wait for it with <see cref="VoucherLedger.WaitAsync"/>.</summary>
internal sealed class LedgerWrite
{
    internal LedgerWrite(LedgerEntry entry, byte[] line)
    {
        Entry = entry;
        Line = line;
    }

    internal LedgerEntry Entry { get; }

    internal byte[] Line { get; }

    /// <summary>Its caller waits for a sync under way (set under the ledger's lock): it may be handed the next one.</summary>
    internal bool Waiting { get; set; }

    /// <summary>On disk (set under the ledger's lock).</summary>
    internal bool Durable { get; set; }

    /// <summary>Why it could not be written (set under the ledger's lock).</summary>
    internal Exception? Error { get; set; }

    /// <summary>True once the record is on disk; false when its waiter is handed the next sync.</summary>
    internal TaskCompletionSource<bool> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
