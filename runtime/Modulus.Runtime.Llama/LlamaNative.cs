using System.Text;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Modulus.Runtime.Llama;

/// <summary>
/// The worker's llama.cpp as a whole: its log, which is one per process, goes into the worker's
/// log (its errors as warnings, its warnings at debug level, the rest of its chatter dropped), and
/// its latest complaints are kept, so that a model it refuses is reported with llama.cpp's reason.
/// </summary>
internal sealed class LlamaNative(ILogger<LlamaNative> logger)
{
    private const int Kept = 16;

    private readonly Lock _lock = new();
    private readonly Queue<(long Sequence, string Line)> _complaints = new();
    private readonly ThreadLocal<(StringBuilder Line, LLamaLogLevel Level)> _lines = new(() => (new StringBuilder(), LLamaLogLevel.None));
    private bool _configured;
    private long _sequence;

    /// <summary>Routes llama.cpp's log before its first use; the library applies it when it loads.</summary>
    public void EnsureConfigured()
    {
        lock (_lock)
        {
            if (_configured)
            {
                return;
            }

            _configured = true;
        }

        NativeLogConfig.llama_log_set(OnLog);
    }

    /// <summary>A mark to ask <see cref="ComplaintsSince"/> about.</summary>
    public long Mark()
    {
        lock (_lock)
        {
            return _sequence;
        }
    }

    /// <summary>llama.cpp's errors and warnings since <paramref name="mark"/>, joined, or empty.</summary>
    public string ComplaintsSince(long mark)
    {
        lock (_lock)
        {
            return string.Join("; ", _complaints.Where(c => c.Sequence > mark).Select(c => c.Line));
        }
    }

    private void OnLog(LLamaLogLevel level, string message)
    {
        // llama.cpp writes a line in pieces (the later ones at level Continue) on the thread that logs it.
        var (line, lineLevel) = _lines.Value;
        if (level != LLamaLogLevel.Continue)
        {
            lineLevel = level;
            _lines.Value = (line, level);
        }

        line.Append(message);
        if (!message.EndsWith('\n'))
        {
            return;
        }

        var text = line.ToString().TrimEnd();
        line.Clear();
        if (text.Length == 0 || lineLevel is not (LLamaLogLevel.Error or LLamaLogLevel.Warning))
        {
            return;
        }

        lock (_lock)
        {
            _complaints.Enqueue((++_sequence, text));
            while (_complaints.Count > Kept)
            {
                _complaints.Dequeue();
            }
        }

        if (lineLevel == LLamaLogLevel.Error)
        {
            LlamaLog.NativeError(logger, text);
        }
        else
        {
            LlamaLog.NativeWarning(logger, text);
        }
    }
}
