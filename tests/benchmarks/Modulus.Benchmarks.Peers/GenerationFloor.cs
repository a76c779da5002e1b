using System.Diagnostics;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Modulus.Benchmarks.Peers;

/// <summary>One generation's outcome: its text, how many tokens it made, and when its first and last text came, in µs from its start.</summary>
internal readonly record struct GeneratedStream(string Text, int Tokens, double FirstMicros, double TotalMicros);

/// <summary>
/// The floor of text generation: LLamaSharp driven directly in the load generator's process, on the
/// module's GGUF file with the settings runtime/Modulus.Runtime.Llama serves it with (its context,
/// batch, threads, one sequence, a pool of as many contexts as the manifest's <c>contexts</c>), and
/// the same loop: decode the prompt, then sample greedily and decode one token at a time, each
/// token's bytes turned into text as it comes. What the module adds over this is the network and the
/// host-to-worker hop, not llama.cpp.
/// </summary>
internal sealed class GenerationFloor : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext[] _contexts;
    private readonly Stack<LLamaContext> _free;
    private readonly SemaphoreSlim _available;
    private readonly int _batch;

    private GenerationFloor(LLamaWeights weights, LLamaContext[] contexts, int batch)
    {
        _weights = weights;
        _contexts = contexts;
        _free = new Stack<LLamaContext>(contexts);
        _available = new SemaphoreSlim(contexts.Length, contexts.Length);
        _batch = batch;
    }

    /// <summary>The tokens of one generation, prompt and answer (the loader's choice: the manifest's "context", else the model's own).</summary>
    public int Context { get; private init; }

    public int Contexts => _contexts.Length;

    /// <summary>Loads the weights and the pool as GgufModuleLoader does, each context warmed with one decode.</summary>
    public static async Task<GenerationFloor> LoadAsync(string modelFile, int? context, int contexts, int threads, CancellationToken cancellationToken)
    {
        // llama.cpp's chatter (a screenful per context) would bury the progress lines; its errors still show.
        NativeLogConfig.llama_log_set(OnLog);
        var weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(modelFile) { GpuLayerCount = 0 }, cancellationToken).ConfigureAwait(false);
        var size = context ?? weights.NativeHandle.ContextSize;
        var batch = Math.Min(size, 512);
        var parameters = new ModelParams(modelFile)
        {
            ContextSize = (uint)size,
            BatchSize = (uint)batch,
            UBatchSize = (uint)batch,
            SeqMax = 1,
            Threads = threads,
            BatchThreads = threads,
            Embeddings = false,
            PoolingType = LLamaPoolingType.None,
        };
        var pool = new LLamaContext[contexts];
        for (var i = 0; i < contexts; i++)
        {
            pool[i] = weights.CreateContext(parameters);
            var warm = new LLamaBatch();
            warm.Add(weights.Vocab.BOS ?? (LLamaToken)0, 0, LLamaSeqId.Zero, true);
            pool[i].NativeHandle.Decode(warm);
            pool[i].NativeHandle.MemoryClear();
        }

        return new GenerationFloor(weights, pool, batch) { Context = size };
    }

    /// <summary>Greedy generation of at most <paramref name="maxTokens"/> tokens, waiting for a free context first (as a call to the module does).</summary>
    public async Task<GeneratedStream> GenerateAsync(string prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        LLamaContext context;
        lock (_free)
        {
            context = _free.Pop();
        }

        try
        {
            // Decoding blocks its thread for the whole generation, as the worker's call does.
            return await Task.Run(() => Generate(context.NativeHandle, prompt, maxTokens, started, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_free)
            {
                _free.Push(context);
            }

            _available.Release();
        }
    }

    private GeneratedStream Generate(SafeLLamaContextHandle context, string prompt, int maxTokens, long started, CancellationToken cancellationToken)
    {
        var tokens = _weights.NativeHandle.Tokenize(prompt, _weights.Vocab.ShouldAddBOS, false, Encoding.UTF8);
        context.MemoryClear();
        using var sampler = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        sampler.AddGreedySampler();
        var batch = new LLamaBatch();
        var position = 0;
        for (var start = 0; start < tokens.Length; start += _batch)
        {
            var count = Math.Min(_batch, tokens.Length - start);
            batch.Clear();
            batch.AddRange(tokens.AsSpan(start, count), position, LLamaSeqId.Zero, logitsLast: start + count == tokens.Length);
            position += count;
            Decode(context, batch);
        }

        var utf8 = new UTF8Encoding(false, false).GetDecoder();
        var text = new StringBuilder();
        var piece = new byte[32];
        var chars = new char[64];
        var first = double.NaN;
        var logits = batch.TokenCount - 1;
        var produced = 0;
        while (produced < maxTokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = sampler.Sample(context, logits);
            if (token.IsEndOfGeneration(_weights.Vocab))
            {
                break;
            }

            produced++;
            var length = (int)_weights.NativeHandle.TokenToSpan(token, piece, 0, special: false);
            var written = utf8.GetChars(piece.AsSpan(0, Math.Min(length, piece.Length)), chars, flush: false);
            if (written > 0)
            {
                // The stream's item: the module sends the same string as soon as it is whole UTF-8.
                text.Append(new string(chars, 0, written));
                if (double.IsNaN(first))
                {
                    first = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                }
            }

            if (produced == maxTokens)
            {
                break;
            }

            batch.Clear();
            batch.Add(token, position++, LLamaSeqId.Zero, true);
            Decode(context, batch);
            logits = 0;
        }

        return new GeneratedStream(text.ToString(), produced, first, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        if (level == LLamaLogLevel.Error)
        {
            Console.Error.Write($"llama.cpp: {message}");
        }
    }

    private static void Decode(SafeLLamaContextHandle context, LLamaBatch batch)
    {
        if (context.Decode(batch) is var result && result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp could not decode a batch of {batch.TokenCount} tokens ({result})");
        }
    }

    public void Dispose()
    {
        foreach (var context in _contexts)
        {
            context.Dispose();
        }

        _weights.Dispose();
        _available.Dispose();
    }
}
