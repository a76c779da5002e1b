using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Modulus.Protocol;
using Modulus.Runtime;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

/// <summary>The real runtime (loaders, tree, invoker) over a temporary tree, without a network.</summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public RuntimeHarness(TempTree tree)
    {
        Tree = tree;
        Logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug));
        services.AddModulusRuntime(o =>
        {
            o.TreeRoot = tree.Root;
            o.CacheDirectory = tree.CacheDirectory;
            o.Watch = false;
        });
        _services = services.BuildServiceProvider();
        Catalog = _services.GetRequiredService<IModuleCatalog>();
        Invoker = _services.GetRequiredService<IModuleInvoker>();
    }

    public TempTree Tree { get; }

    public CapturingLoggerProvider Logs { get; }

    public IModuleCatalog Catalog { get; }

    public IModuleInvoker Invoker { get; }

    public static async Task<RuntimeHarness> StartAsync(TempTree tree)
    {
        var harness = new RuntimeHarness(tree);
        await harness.Catalog.ReloadAsync(CancellationToken.None);
        return harness;
    }

    public ValueTask<Value> CallAsync(string target, params Value[] args) => CallAsync(target, args, new Dictionary<string, Value>());

    public ValueTask<Value> CallAsync(string target, Value[] args, Dictionary<string, Value> kwargs, DateTimeOffset? deadline = null)
    {
        var (module, endpoint) = ModuleCall.ParseTarget(target);
        return Invoker.InvokeAsync(new ModuleCall(module, endpoint, args, kwargs) { Deadline = deadline }, CancellationToken.None);
    }

    public async Task<ModulusException> FailAsync(string target, params Value[] args) =>
        await Assert.ThrowsAsync<ModulusException>(async () => await CallAsync(target, args));

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
