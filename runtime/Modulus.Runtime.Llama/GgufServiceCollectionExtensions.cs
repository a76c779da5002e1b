using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Modulus.Runtime.Loading;

namespace Modulus.Runtime.Llama;

/// <summary>Adds the gguf module kind (language models served by llama.cpp) to a worker process.</summary>
public static class GgufServiceCollectionExtensions
{
    /// <summary>
    /// Adds the loader of gguf modules to a worker's loaders (see <c>ModulusWorker.RunAsync</c>).
    /// Workers only: a host never adds it, so llama.cpp's native libraries are never loaded into a
    /// host process, and a model's crash or memory stays in its worker.
    /// </summary>
    public static IServiceCollection AddGgufModules(this IServiceCollection services)
    {
        services.TryAddSingleton<LlamaNative>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModuleLoader, GgufModuleLoader>());
        return services;
    }
}
