using System.Text;

namespace Modulus.Runtime.Llama;

/// <summary>
/// Turns the bytes of generated tokens into the text a stream carries: a token's bytes may end in
/// the middle of a UTF-8 sequence (a byte-level model makes one byte per token), so incomplete
/// sequences are held back until they complete, and bytes that can never complete become U+FFFD.
/// Text that could be the start of a stop string is held back too, until it is known not to be;
/// a stop string ends the text before it, and is not part of it. Nothing here returns text twice.
/// </summary>
internal sealed class GeneratedText(IReadOnlyList<string> stops)
{
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly StringBuilder _held = new();
    private char[] _chars = new char[64];

    /// <summary>A stop string was reached: nothing more is returned.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds one token's bytes; returns the text that is now ready (often one character, possibly none).</summary>
    public string Add(ReadOnlySpan<byte> bytes)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        Decode(bytes, flush: false);
        return Release(final: false);
    }

    /// <summary>The generation has ended: returns what was held back (an incomplete sequence as U+FFFD).</summary>
    public string Finish()
    {
        if (Stopped)
        {
            return string.Empty;
        }

        Decode([], flush: true);
        return Release(final: true);
    }

    private void Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var count = _utf8.GetCharCount(bytes, flush);
        if (count > _chars.Length)
        {
            _chars = new char[Math.Max(count, _chars.Length * 2)];
        }

        var written = _utf8.GetChars(bytes, _chars, flush);
        _held.Append(_chars, 0, written);
    }

    private string Release(bool final)
    {
        if (_held.Length == 0)
        {
            return string.Empty;
        }

        var text = _held.ToString();
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
            }
        }

        if (cut >= 0)
        {
            Stopped = true;
            _held.Clear();
            return text[..cut];
        }

        // Everything before the longest ending that begins a stop string is final: a stop string
        // found later cannot start before it (it would have begun a longer such ending).
        var ready = text.Length - (final ? 0 : HeldForStops(text));
        _held.Remove(0, ready);
        return text[..ready];
    }

    /// <summary>The length of the longest ending of <paramref name="text"/> that is the start of a stop string.</summary>
    private int HeldForStops(string text)
    {
        var longest = 0;
        foreach (var stop in stops)
        {
            for (var length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
