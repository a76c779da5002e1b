using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Modulus.Runtime.Access;
using Modulus.Runtime.CSharp;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Catalog;
using Modulus.Runtime.Invocation;
using Modulus.Runtime.Invocation.Steps;
using Modulus.Runtime.Isolation;
using Modulus.Modules;

namespace Modulus.Runtime;

/// <summary>Registers the module runtime with a service collection.</summary>
public static class RuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the module tree, the worker processes modules run in, the in-process C# loader and
    /// invocation; the tree is loaded when the host starts and watched while it runs.
    /// </summary>
    public static IServiceCollection AddModulusRuntime(this IServiceCollection services, Action<ModulusRuntimeOptions>? configure = null)
    {
        var options = services.AddOptions<ModulusRuntimeOptions>();
        services.AddSingleton<IConfigureOptions<ModulusRuntimeOptions>>(sp => new ConfigurationBinding<ModulusRuntimeOptions>(sp, ModulusRuntimeOptions.SectionName));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<IStakeOracle, NoStakeOracle>();
        services.TryAddSingleton<CSharpCompiler>();
        // In the host, only C# modules marked "inprocess" load here; every other module loads in a
        // worker process (Isolation/ModulusWorker), which alone embeds Python.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IModuleLoader, CSharpModuleLoader>());
        services.TryAddSingleton<WorkerModuleLoader>();
        services.TryAddSingleton<ModuleCatalog>();
        services.TryAddSingleton<IModuleCatalog>(sp => sp.GetRequiredService<ModuleCatalog>());
        services.TryAddSingleton<Protocol.Payments.IPaymentGate, NoPaymentGate>();
        services.TryAddSingleton<PaymentStep>();
        services.TryAddSingleton<AccessStep>();
        services.TryAddSingleton<DeadlineStep>();
        services.TryAddSingleton<DispatchStep>();
        services.TryAddSingleton<IModuleInvoker, ModuleInvoker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ModuleCatalogService>());
        return services;
    }
}
