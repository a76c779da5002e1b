using System.Collections.Concurrent;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Modulus.Runtime.Llama;

/// <summary>
/// The llama.cpp contexts of one model, each with its own KV cache, all sharing the one loaded copy
/// of the weights: a generation rents one for its whole length, and a call beyond the pool waits for
/// one to be returned, within its deadline. Separate contexts rather than one batched context keep
/// each generation's arithmetic independent of what else runs, so a seed gives the same text under
/// any load.
/// </summary>
internal sealed class ContextPool : IDisposable
{
    private readonly LLamaContext[] _contexts;
    private readonly ConcurrentStack<LLamaContext> _free;
    private readonly SemaphoreSlim _available;

    private ContextPool(LLamaContext[] contexts)
    {
        _contexts = contexts;
        _free = new ConcurrentStack<LLamaContext>(contexts);
        _available = new SemaphoreSlim(contexts.Length, contexts.Length);
    }

    public int Size => _contexts.Length;

    /// <summary>
    /// Creates <paramref name="size"/> contexts and runs one tiny decode in each, so that llama.cpp's
    /// buffers are allocated and its kernels chosen before the first call rather than during it.
    /// </summary>
    public static ContextPool Create(LLamaWeights weights, ModelParams parameters, int size)
    {
        var contexts = new List<LLamaContext>(size);
        try
        {
            for (var i = 0; i < size; i++)
            {
                var context = weights.CreateContext(parameters);
                contexts.Add(context);
                WarmUp(weights, context);
            }
        }
        catch
        {
            foreach (var context in contexts)
            {
                context.Dispose();
            }

            throw;
        }

        return new ContextPool(contexts.ToArray());
    }

    /// <summary>Waits for a free context; the lease returns it.</summary>
    /// <exception cref="OperationCanceledException">The call was cancelled, or its deadline passed, while it waited.</exception>
    public async ValueTask<Lease> RentAsync(CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_free.TryPop(out var context))
        {
            _available.Release();
            throw new InvalidOperationException("the context pool granted a context it does not have");
        }

        return new Lease(this, context);
    }

    public void Dispose()
    {
        foreach (var context in _contexts)
        {
            context.Dispose();
        }

        _available.Dispose();
    }

    private void Return(LLamaContext context)
    {
        _free.Push(context);
        _available.Release();
    }

    private static void WarmUp(LLamaWeights weights, LLamaContext context)
    {
        var batch = new LLamaBatch();
        batch.Add(weights.Vocab.BOS ?? (LLamaToken)0, 0, LLamaSeqId.Zero, true);
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp could not decode one token in a fresh context ({result})");
        }

        context.NativeHandle.MemoryClear();
    }

    /// <summary>A rented context, returned to the pool when disposed.</summary>
    public readonly struct Lease(ContextPool pool, LLamaContext context) : IDisposable
    {
        public LLamaContext Context { get; } = context;

        public void Dispose() => pool.Return(Context);
    }
}
