using System.Text;
using LLama;
using LLama.Native;
using Modulus.Protocol;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;

namespace Modulus.Runtime.Llama;

/// <summary>
/// A GGUF language model served as a module: one loaded copy of the weights, a pool of contexts
/// for the generations running at once, and the endpoints of the gguf kind (the contract other
/// parts of Modulus, such as the OpenAI-compatible API, are written against):
/// <c>generate</c> and <c>chat</c> stream text, <c>tokenize</c>, <c>embed</c> and <c>info</c> answer at once.
/// </summary>
internal sealed class GgufModule : LoadedModule
{
    /// <summary>The endpoints every gguf module serves, in the order <c>info</c> lists them.</summary>
    public static IReadOnlyList<EndpointSchema> Endpoints { get; } =
    [
        new("generate", [new("prompt", TypeSpec.String, Required: true), .. SamplingSettings.Parameters], TypeSpec.String,
            "Continues a prompt, streaming the text of each token as it is made; stops at max_tokens, the end of the text, or a stop string (not included). temperature 0 is greedy; a seed of 0 or more repeats its text.")
        { Streaming = true, Idempotent = true },
        // What `modulus call text.generate "…"` calls, with no endpoint named: a model's default is to continue a prompt.
        new(ModuleCall.DefaultEndpoint, [new("prompt", TypeSpec.String, Required: true), .. SamplingSettings.Parameters], TypeSpec.String,
            "The module's default endpoint (called when none is named): the same as generate.")
        { Streaming = true, Idempotent = true },
        new("chat", [new("messages", TypeSpec.ListOf(TypeSpec.MapOf(TypeSpec.Any)), Required: true), .. SamplingSettings.Parameters], TypeSpec.String,
            "Answers a conversation ([{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": …}]) through the model's chat template, or the plain \"User: …\\nAssistant:\" fallback when it has none, streaming the answer's text.")
        { Streaming = true, Idempotent = true },
        new("tokenize", [new("text", TypeSpec.String, Required: true)], TypeSpec.ListOf(TypeSpec.Int),
            "The model's token ids for a text, without a beginning-of-sequence token.")
        { Idempotent = true },
        new("embed", [new("text", TypeSpec.String, Required: true)], TypeSpec.ListOf(TypeSpec.Float),
            "An embedding of the text: the mean of the model's last hidden state over the text's tokens, scaled to length 1 (so a dot product is a cosine similarity).")
        { Idempotent = true },
        new("info", [], TypeSpec.MapOf(TypeSpec.Any),
            "What the model is: architecture, parameters, context, embedding length, layers, vocabulary, quantization, file, and the contexts that serve it.")
        { Idempotent = true },
    ];

    private readonly LLamaWeights _weights;
    private readonly ContextPool _pool;
    private readonly ChatPrompt _chat;
    private readonly Value _facts;
    private readonly int _context;
    private readonly int _batch;

    public GgufModule(ModuleSource source, ModuleInfo info, LLamaWeights weights, ContextPool pool, ChatPrompt chat, int context, int batch, Value facts)
        : base(source, info)
    {
        _weights = weights;
        _pool = pool;
        _chat = chat;
        _context = context;
        _batch = batch;
        _facts = facts;
    }

    public override async ValueTask<Value> InvokeAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, StreamItemWriter? stream = null)
    {
        var target = $"{context.Module}/{endpoint.Name}";
        switch (endpoint.Name)
        {
            case "generate" or ModuleCall.DefaultEndpoint:
            {
                var settings = SamplingSettings.Read(arguments, target);
                var prompt = arguments[0]!.AsString();
                var tokens = Tokenize(prompt, addBos: _weights.Vocab.ShouldAddBOS, special: false);
                CheckFits(tokens.Length, settings.MaxTokens, context.Module, "prompt", "shorten the prompt or lower max_tokens");
                await GenerateAsync(tokens, settings, context.CancellationToken, Stream(stream, endpoint)).ConfigureAwait(false);
                return Value.Null;
            }

            case "chat":
            {
                var settings = SamplingSettings.Read(arguments, target);
                var messages = ChatPrompt.ReadMessages(arguments[0]!, target);
                var prompt = _chat.Render(messages);
                var tokens = _chat.UsesModelTemplate
                    ? Tokenize(prompt, addBos: _weights.Vocab.ShouldAddBOS && !StartsWithBos(prompt), special: true)
                    : Tokenize(prompt, addBos: _weights.Vocab.ShouldAddBOS, special: false);
                CheckFits(tokens.Length, settings.MaxTokens, context.Module, "messages (as the chat prompt)", "shorten or drop messages, or lower max_tokens");
                if (!_chat.UsesModelTemplate)
                {
                    settings = settings with { Stop = [.. settings.Stop, ChatPrompt.FallbackStop] };
                }

                await GenerateAsync(tokens, settings, context.CancellationToken, Stream(stream, endpoint)).ConfigureAwait(false);
                return Value.Null;
            }

            case "tokenize":
                return Value.List(Tokenize(arguments[0]!.AsString(), addBos: false, special: false).Select(t => Value.From((long)(int)t)));

            case "embed":
                return Value.List((await EmbedAsync(arguments[0]!.AsString(), context).ConfigureAwait(false)).Select(v => Value.From((double)v)));

            case "info":
                return _facts;

            default:
                throw new ModulusException(StatusCode.NotFound, $"module {context.Module} has no endpoint \"{endpoint.Name}\"");
        }
    }

    public override ValueTask DisposeAsync()
    {
        _pool.Dispose();
        _weights.Dispose();
        return ValueTask.CompletedTask;
    }

    private static StreamItemWriter Stream(StreamItemWriter? stream, EndpointSchema endpoint) =>
        stream ?? throw new InvalidOperationException($"{endpoint.Name} streams: it needs a stream to write to");

    private LLamaToken[] Tokenize(string text, bool addBos, bool special) =>
        text.Length == 0 && !addBos ? [] : _weights.NativeHandle.Tokenize(text, addBos, special, Encoding.UTF8);

    private bool StartsWithBos(string prompt) =>
        _weights.Vocab.BOS is { } bos && _weights.Vocab.LLamaTokenToString(bos, isSpecialToken: true) is { Length: > 0 } text && prompt.StartsWith(text, StringComparison.Ordinal);

    private void CheckFits(int promptTokens, int maxTokens, string module, string what, string advice)
    {
        if (promptTokens == 0)
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"the {what} is empty (no tokens) and this model starts no text from nothing; give at least one character");
        }

        var total = (long)promptTokens + maxTokens;
        if (total > _context)
        {
            throw new ModulusException(StatusCode.InvalidArgument,
                $"{what} of {promptTokens} tokens plus max_tokens {maxTokens} is {total}, beyond {module}'s context of {_context} tokens; {advice}");
        }
    }

    /// <summary>
    /// Decodes the prompt, then samples one token at a time: each token's text goes to the stream
    /// once it is complete UTF-8 (and cannot be the start of a stop string), and the call's token is
    /// checked before every token, so a cancelled call or a passed deadline stops within one token.
    /// </summary>
    private async ValueTask GenerateAsync(LLamaToken[] prompt, SamplingSettings settings, CancellationToken cancellationToken, StreamItemWriter stream)
    {
        using var lease = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        var context = lease.Context.NativeHandle;
        context.MemoryClear();
        using var sampler = settings.CreateChain();
        var batch = new LLamaBatch();
        var position = 0;
        for (var start = 0; start < prompt.Length; start += _batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(_batch, prompt.Length - start);
            batch.Clear();
            batch.AddRange(prompt.AsSpan(start, count), position, LLamaSeqId.Zero, logitsLast: start + count == prompt.Length);
            position += count;
            Decode(context, batch);
        }

        var logits = batch.TokenCount - 1;
        var text = new GeneratedText(settings.Stop);
        var piece = new byte[32];
        for (var produced = 0; produced < settings.MaxTokens; produced++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Sampling also feeds the token to the chain (llama.cpp's llama_sampler_sample accepts it).
            var token = sampler.Sample(context, logits);
            if (token.IsEndOfGeneration(_weights.Vocab))
            {
                break;
            }

            var ready = text.Add(Piece(token, ref piece));
            if (ready.Length > 0)
            {
                await stream(ready, cancellationToken).ConfigureAwait(false);
            }

            if (text.Stopped || produced + 1 == settings.MaxTokens)
            {
                break;
            }

            batch.Clear();
            batch.Add(token, position++, LLamaSeqId.Zero, true);
            Decode(context, batch);
            logits = 0;
        }

        var rest = text.Finish();
        if (rest.Length > 0)
        {
            await stream(rest, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Mean pooling done here, over the per-token embeddings llama.cpp gives with pooling off: it
    /// stays the mean over every token however many batches the text takes (llama.cpp's own pooling
    /// pools each batch alone), and generation in the same context is untouched by it.
    /// </summary>
    private async ValueTask<float[]> EmbedAsync(string text, CallContext call)
    {
        var tokens = Tokenize(text, addBos: _weights.Vocab.ShouldAddBOS, special: false);
        if (tokens.Length == 0)
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"{call.Module}/embed: the text is empty (no tokens); give at least one character");
        }

        if (tokens.Length > _context)
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"text of {tokens.Length} tokens is beyond {call.Module}'s context of {_context} tokens; shorten the text");
        }

        var cancellationToken = call.CancellationToken;
        using var lease = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        var context = lease.Context.NativeHandle;
        context.MemoryClear();
        var sum = new double[context.EmbeddingSize];
        context.SetEmbeddings(true);
        try
        {
            var batch = new LLamaBatch();
            for (var start = 0; start < tokens.Length; start += _batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(_batch, tokens.Length - start);
                batch.Clear();
                for (var i = 0; i < count; i++)
                {
                    batch.Add(tokens[start + i], start + i, LLamaSeqId.Zero, true);
                }

                Decode(context, batch);
                for (var i = 0; i < count; i++)
                {
                    var embedding = context.GetEmbeddingsIth(i);
                    for (var d = 0; d < sum.Length; d++)
                    {
                        sum[d] += embedding[d];
                    }
                }
            }
        }
        finally
        {
            context.SetEmbeddings(false);
            context.MemoryClear();
        }

        var norm = Math.Sqrt(sum.Sum(v => v * v));
        return sum.Select(v => norm > 0 ? (float)(v / norm) : 0f).ToArray();
    }

    private ReadOnlySpan<byte> Piece(LLamaToken token, ref byte[] buffer)
    {
        var length = (int)_weights.NativeHandle.TokenToSpan(token, buffer, 0, special: false);
        if (length > buffer.Length)
        {
            buffer = new byte[length];
            length = (int)_weights.NativeHandle.TokenToSpan(token, buffer, 0, special: false);
        }

        return buffer.AsSpan(0, length);
    }

    private static void Decode(SafeLLamaContextHandle context, LLamaBatch batch)
    {
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new ModulusException(StatusCode.Internal, $"llama.cpp could not decode a batch of {batch.TokenCount} tokens ({result})");
        }
    }
}
