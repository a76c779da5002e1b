using Microsoft.Extensions.AI;
using Modulus.Sdk;

namespace Modulus.Client.AI;

/// <summary>
/// A model module's <c>embed</c> endpoint as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
/// of strings: one call per text, the vector as <see cref="Embedding{T}"/> of float. The client is not
/// owned: disposing this leaves it open.
/// </summary>
public sealed class ModulusEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ModulusClient _client;
    private readonly string _module;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>An embedding generator for <paramref name="module"/> on the host <paramref name="client"/> calls.</summary>
    public ModulusEmbeddingGenerator(ModulusClient client, string module)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(module);
        _client = client;
        _module = module;
        _metadata = new EmbeddingGeneratorMetadata("modulus", new Uri(client.Address.ToString()), module);
    }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var module = options?.ModelId ?? _module;
        var embeddings = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values)
        {
            var vector = await _client.CallAsync($"{module}/embed", [Value.From(text)], null, null, cancellationToken).ConfigureAwait(false);
            embeddings.Add(new Embedding<float>(vector.AsList().Select(v => (float)(v.Kind == ValueKind.Int ? v.AsInt() : v.AsFloat())).ToArray())
            {
                ModelId = module,
                CreatedAt = DateTimeOffset.UtcNow,
            });
        }

        return embeddings;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType == typeof(ModulusClient) ? _client
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
        // The ModulusClient belongs to the caller.
    }
}
