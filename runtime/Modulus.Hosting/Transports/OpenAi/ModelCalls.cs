using System.Text;
using Modulus.Runtime;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>What a model generated: its text, how many pieces it streamed, and why it stopped.</summary>
/// <param name="Text">The pieces joined.</param>
/// <param name="Pieces">How many pieces the model streamed; a model streams one per token, so this is the completion's token count.</param>
/// <param name="FinishReason"><c>length</c> when the model made as many pieces as it was allowed, else <c>stop</c>.</param>
internal sealed record Generation(string Text, long Pieces, string FinishReason);

/// <summary>
/// The calls the HTTP API makes to a model, through the invoker as every transport's calls go
/// (payment, access, limits, deadline, dispatch): a streamed generation, a token count, an embedding.
/// Failures are the invoker's <see cref="ModulusException"/>s; the API's edge translates them.
/// </summary>
internal sealed class ModelCalls(IModuleInvoker invoker)
{
    /// <summary>Runs a streaming generation, handing each text piece to <paramref name="onPiece"/> as the model makes it.</summary>
    /// <param name="http">The request.</param>
    /// <param name="model">The model.</param>
    /// <param name="endpoint">Its <c>generate</c> or <c>chat</c> endpoint.</param>
    /// <param name="input">The input argument: <c>prompt</c> or <c>messages</c>, and its value.</param>
    /// <param name="options">The sampling options, passed as keyword arguments.</param>
    /// <param name="onPiece">Takes each piece; awaiting it holds the model back (a slow client slows the model, it does not fill memory). Null to only collect.</param>
    public async Task<Generation> GenerateAsync(HttpCall http, Model model, EndpointSchema endpoint, (string Name, Value Value) input, GenerationOptions options, Func<string, CancellationToken, ValueTask>? onPiece)
    {
        var keywords = options.Keywords(model, endpoint);
        keywords[input.Name] = input.Value;
        var text = new StringBuilder();
        long pieces = 0;
        var call = http.To(model.Id, endpoint.Name, keywords) with
        {
            Stream = async (item, ct) =>
            {
                if (item.Kind != ValueKind.String)
                {
                    throw new ModulusException(StatusCode.Internal,
                        $"{model.Id}/{endpoint.Name} streamed a {Value.KindName(item.Kind)} where the HTTP API takes text pieces (strings)");
                }

                var piece = item.AsString();
                text.Append(piece);
                pieces++;
                if (onPiece is not null)
                {
                    await onPiece(piece, ct).ConfigureAwait(false);
                }
            },
        };
        await invoker.InvokeAsync(call, http.Aborted).ConfigureAwait(false);
        var limit = options.EffectiveMaxTokens(endpoint);
        return new Generation(text.ToString(), pieces, limit is { } max && pieces >= max ? "length" : "stop");
    }

    /// <summary>
    /// How many tokens <paramref name="text"/> is to the model, by its <c>tokenize</c> endpoint; 0 for a
    /// model that has none (usage then counts no prompt tokens, as the README says).
    /// </summary>
    public async Task<long> CountTokensAsync(HttpCall http, Model model, string text)
    {
        if (model.Tokenize is not { } tokenize)
        {
            return 0;
        }

        var tokens = await invoker.InvokeAsync(http.To(model.Id, tokenize.Name, Single(tokenize, text)), http.Aborted).ConfigureAwait(false);
        return tokens.Kind == ValueKind.List
            ? tokens.AsList().Count
            : throw new ModulusException(StatusCode.Internal, $"{model.Id}/{tokenize.Name} answered a {Value.KindName(tokens.Kind)}, not a list of tokens");
    }

    /// <summary>The embedding of <paramref name="text"/>, by the model's <c>embed</c> endpoint (which the caller checked it has).</summary>
    public async Task<double[]> EmbedAsync(HttpCall http, Model model, string text)
    {
        var embed = model.Embed!;
        var vector = await invoker.InvokeAsync(http.To(model.Id, embed.Name, Single(embed, text)), http.Aborted).ConfigureAwait(false);
        if (vector.Kind == ValueKind.List && vector.AsList().All(v => v.Kind is ValueKind.Float or ValueKind.Int))
        {
            return vector.AsList().Select(v => v.AsFloat()).ToArray();
        }

        // A module that keeps its vectors as tensors may answer with one (FP32 or FP64, any shape, read flat).
        if (vector.Kind == ValueKind.Tensor && vector.AsTensor() is { DType: DType.FP32 or DType.FP64 } tensor)
        {
            return tensor.DType == DType.FP32 ? Array.ConvertAll(tensor.ToArray<float>(), f => (double)f) : tensor.ToArray<double>();
        }

        throw new ModulusException(StatusCode.Internal, $"{model.Id}/{embed.Name} answered a {Value.KindName(vector.Kind)}, not a list of numbers (or an FP32 or FP64 tensor)");
    }

    /// <summary>The endpoint's first parameter given <paramref name="text"/>: <c>tokenize(text)</c> and <c>embed(text)</c> take one text, whatever they name it.</summary>
    private static Dictionary<string, Value> Single(EndpointSchema endpoint, string text) =>
        endpoint.Parameters.Count == 0
            ? throw new ModulusException(StatusCode.Internal, $"{endpoint.Signature} takes no text")
            : new Dictionary<string, Value>(StringComparer.Ordinal) { [endpoint.Parameters[0].Name] = text };
}
