using System.Runtime.CompilerServices;
using System.Text;

namespace Modules.Lm;

/// <summary>
/// A language model for tests: it follows the endpoint contract of the gguf module kind (a streaming
/// <c>generate</c> and <c>chat</c> of text pieces, one per token, <c>tokenize</c>, <c>embed</c>,
/// <c>info</c>) but answers deterministically, so that a test knows the text it must see. It
/// continues Genesis 1 word by word; a prompt that is not a beginning of it starts it over. Byte
/// level, as the shipped model is: a token is a UTF-8 byte. Prompts that start with a word of
/// command make it behave as a model can: "slowly" (20 ms a piece, for as long as max_tokens lets
/// it), "break after N" (fails after N pieces). It counts what it makes, for <c>stats</c>.
/// </summary>
public sealed class Words : Module
{
    private const string Scripture = "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.";
    private const int Context = 128;
    private static readonly string[] Verse = Scripture.Split(' ');

    private readonly Lock _lock = new();
    private long _produced;
    private long _started;
    private long _finished;
    private long _cancelled;
    private Dictionary<string, object?> _last = [];

    [Endpoint(Description = "Continues the prompt, one piece per token.")]
    public async IAsyncEnumerable<string> Generate(
        CallContext context,
        string prompt,
        long max_tokens = 128,
        double temperature = 0.8,
        double top_p = 0.95,
        long top_k = 40,
        long seed = -1,
        List<string>? stop = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Remember(context, "generate", prompt, max_tokens, temperature, top_p, top_k, seed, stop);
        var words = prompt.StartsWith("slowly", StringComparison.Ordinal) || prompt.StartsWith("break after", StringComparison.Ordinal)
            ? Verse
            : Continuation(prompt);
        await foreach (var piece in Run(prompt, words.Select(w => " " + w), max_tokens, stop, cancellationToken))
        {
            yield return piece;
        }
    }

    [Endpoint(Description = "Answers the conversation, one piece per token.")]
    public async IAsyncEnumerable<string> Chat(
        CallContext context,
        List<Dictionary<string, string>> messages,
        long max_tokens = 128,
        double temperature = 0.8,
        double top_p = 0.95,
        long top_k = 40,
        long seed = -1,
        List<string>? stop = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = messages[^1];
        Remember(context, "chat", string.Join("\n", messages.Select(m => $"{m["role"]}: {m["content"]}")), max_tokens, temperature, top_p, top_k, seed, stop);
        var reply = $"{messages.Count} messages; the last, from {last["role"]}, said: {last["content"]}".Split(' ');
        await foreach (var piece in Run(last["content"], reply.Select((w, i) => i == 0 ? w : " " + w), max_tokens, stop, cancellationToken))
        {
            yield return piece;
        }
    }

    [Endpoint(Description = "The text's tokens: its UTF-8 bytes.")]
    public List<long> Tokenize(string text) => Encoding.UTF8.GetBytes(text).Select(b => (long)b).ToList();

    [Endpoint(Description = "A vector of the text: its bytes, its words, and two constants.")]
    public List<double> Embed(string text) => [Encoding.UTF8.GetByteCount(text), text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length, 0.5, -1.25];

    [Endpoint(Description = "What the model is.")]
    public Dictionary<string, object> Info() => new() { ["architecture"] = "words", ["parameters"] = 0L, ["context"] = (long)Context };

    [Endpoint(Description = "What the model has made: pieces, generations started, finished and cancelled, and the last call's arguments.")]
    public Dictionary<string, object?> Stats()
    {
        lock (_lock)
        {
            return new()
            {
                ["produced"] = _produced,
                ["started"] = _started,
                ["finished"] = _finished,
                ["cancelled"] = _cancelled,
                ["last"] = new Dictionary<string, object?>(_last),
            };
        }
    }

    private async IAsyncEnumerable<string> Run(string prompt, IEnumerable<string> pieces, long maxTokens, List<string>? stop, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Encoding.UTF8.GetByteCount(prompt) >= Context)
        {
            // As llama.cpp refuses a prompt that does not fit its context, before any token.
            throw new ModulusException(StatusCode.InvalidArgument, $"the prompt ({Encoding.UTF8.GetByteCount(prompt)} tokens) overflows the context of {Context} tokens");
        }

        var failAfter = prompt.StartsWith("break after ", StringComparison.Ordinal) ? int.Parse(prompt["break after ".Length..].Split(' ')[0]) : -1;
        var slow = prompt.StartsWith("slowly", StringComparison.Ordinal);
        lock (_lock)
        {
            _started++;
        }

        var text = new StringBuilder();
        long made = 0;
        try
        {
            using var endless = Cycle(pieces.ToList(), slow).GetEnumerator();
            while (made < maxTokens && endless.MoveNext())
            {
                if (made == failAfter)
                {
                    throw new ModulusException(StatusCode.Unavailable, $"the model lost its context after {made} tokens");
                }

                if (slow)
                {
                    await Task.Delay(20, cancellationToken);
                }

                var piece = endless.Current;
                if (stop?.Select(s => (s, at: (text + piece).IndexOf(s, StringComparison.Ordinal))).Where(h => h.at >= 0).OrderBy(h => h.at).FirstOrDefault() is { s: not null } hit)
                {
                    // A stop sequence ends the text before it, as llama.cpp's sampler does.
                    var before = (text + piece)[..hit.at][text.Length..];
                    if (before.Length > 0)
                    {
                        Count();
                        yield return before;
                    }

                    yield break;
                }

                text.Append(piece);
                made++;
                Count();
                yield return piece;
            }
        }
        finally
        {
            lock (_lock)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    _cancelled++;
                }
                else
                {
                    _finished++;
                }
            }
        }
    }

    /// <summary>The pieces once, or, slowly, over and over.</summary>
    private static IEnumerable<string> Cycle(List<string> pieces, bool forever)
    {
        do
        {
            foreach (var piece in pieces)
            {
                yield return piece;
            }
        }
        while (forever);
    }

    /// <summary>The words of the verse after the prompt when the prompt begins it, else all of them.</summary>
    private static string[] Continuation(string prompt)
    {
        var given = prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return given.Length > 0 && given.Length < Verse.Length && Verse.Take(given.Length).SequenceEqual(given) ? Verse[given.Length..] : Verse;
    }

    private void Count()
    {
        lock (_lock)
        {
            _produced++;
        }
    }

    private void Remember(CallContext context, string endpoint, string input, long maxTokens, double temperature, double topP, long topK, long seed, List<string>? stop)
    {
        lock (_lock)
        {
            _last = new()
            {
                ["endpoint"] = endpoint,
                ["input"] = input,
                ["caller"] = context.Caller,
                ["max_tokens"] = maxTokens,
                ["temperature"] = temperature,
                ["top_p"] = topP,
                ["top_k"] = topK,
                ["seed"] = seed,
                ["stop"] = stop,
            };
        }
    }
}
