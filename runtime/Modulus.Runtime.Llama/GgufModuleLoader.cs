using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using Microsoft.Extensions.Logging;
using Modulus.Modules;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;

namespace Modulus.Runtime.Llama;

/// <summary>
/// Loads gguf modules in a worker: the weights once (memory-mapped, CPU only), then the pool of
/// contexts, each warmed up with one decode, so the first call costs what every later one does.
/// </summary>
internal sealed class GgufModuleLoader(LlamaNative native, ILogger<GgufModuleLoader> logger) : IModuleLoader
{
    /// <summary>The most tokens one llama.cpp decode takes: a longer prompt is decoded in batches of this many.</summary>
    private const int MaxBatch = 512;

    public string Language => ModuleLanguages.Gguf;

    public async Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var model = source.Manifest.Model
            ?? throw new ModuleLoadException(new ModuleFault(source.ManifestPath, "a gguf module names its GGUF file in \"model\""));
        var path = Path.Combine(source.Directory, model.File);
        var contentHash = ModulePackage.HashOf(source.Directory);
        native.EnsureConfigured();

        var mark = native.Mark();
        LLamaWeights weights;
        try
        {
            weights = await LLamaWeights.LoadFromFileAsync(new ModelParams(path) { GpuLayerCount = 0 }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LoadWeightsFailedException or RuntimeError)
        {
            var why = native.ComplaintsSince(mark);
            throw new ModuleLoadException(new ModuleFault(path,
                $"llama.cpp cannot load this model{(why.Length > 0 ? $": {why}" : string.Empty)}; it needs a GGUF file of an architecture llama.cpp knows (llama, gptneox, bloom, …), whole and not cut short"));
        }

        try
        {
            return Serve(source, model, path, weights, contentHash, started);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private GgufModule Serve(ModuleSource source, GgufModel model, string path, LLamaWeights weights, string contentHash, long started)
    {
        var handle = weights.NativeHandle;
        if (!handle.HasDecoder)
        {
            throw new ModuleLoadException(new ModuleFault(path, $"{model.File} is an encoder-only model ({Architecture(weights)}); a gguf module serves models that generate text"));
        }

        var trained = handle.ContextSize;
        var context = model.Context ?? trained;
        if (context > trained)
        {
            throw new ModuleLoadException(new ModuleFault(source.ManifestPath,
                $"\"context\" {context} is beyond the {trained} tokens {model.File} was trained for; give at most {trained}, or leave \"context\" out to use all of it"));
        }

        var batch = Math.Min(context, MaxBatch);
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)context,
            BatchSize = (uint)batch,
            UBatchSize = (uint)batch,
            SeqMax = 1,
            Threads = model.Threads,
            BatchThreads = model.Threads,
            // Embeddings are switched on for an embed call alone, and pooled by the module (see GgufModule.EmbedAsync).
            Embeddings = false,
            PoolingType = LLamaPoolingType.None,
        };
        var pool = ContextPool.Create(weights, parameters, model.Contexts);
        try
        {
            var chat = ChatPrompt.For(weights, () => LlamaLog.ChatTemplateUnknown(logger, source.Name));
            var quantization = Quantization(handle.FileType);
            var facts = Value.Map([
                new("architecture", Architecture(weights)),
                new("name", weights.Metadata.GetValueOrDefault("general.name") ?? Path.GetFileNameWithoutExtension(model.File)),
                new("parameters", (long)handle.ParameterCount),
                new("context", context),
                new("training_context", trained),
                new("embedding_length", handle.EmbeddingSize),
                new("layers", handle.LayerCount),
                new("heads", handle.HeadCount),
                new("vocabulary", weights.Vocab.Count),
                new("quantization", quantization),
                new("file_size", new FileInfo(path).Length),
                new("model", model.File),
                new("contexts", pool.Size),
                new("threads", model.Threads),
                new("chat_template", chat.UsesModelTemplate ? "model" : "fallback"),
                new("embedding_pooling", "mean, L2-normalised"),
            ]);
            var manifest = source.Manifest;
            var info = new ModuleInfo(source.Name, manifest.Version.Value, Language, manifest.Description, manifest.Tags, GgufModule.Endpoints, contentHash);
            LlamaLog.Loaded(logger, source.Name, model.File, Architecture(weights), handle.ParameterCount, quantization, pool.Size, context, model.Threads, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new GgufModule(source, info, weights, pool, chat, context, batch, facts);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    private static string Architecture(LLamaWeights weights) => weights.Metadata.GetValueOrDefault("general.architecture") ?? "unknown";

    /// <summary>llama.cpp's file type as it names it in a file name: MOSTLY_Q8_0 → Q8_0, ALL_F32 → F32.</summary>
    private static string Quantization(LLamaFtype type)
    {
        var name = type.ToString();
        foreach (var prefix in (string[])["LLAMA_FTYPE_", "MOSTLY_", "ALL_"])
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                name = name[prefix.Length..];
            }
        }

        return name;
    }
}
