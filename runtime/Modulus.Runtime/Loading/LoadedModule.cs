using Modulus.Runtime.Tree;
using Modulus.Sdk;

namespace Modulus.Runtime.Loading;

/// <summary>A module loaded by a loader, ready to be called.</summary>
internal abstract class LoadedModule : IAsyncDisposable
{
    private readonly Dictionary<string, EndpointSchema> _endpoints;

    protected LoadedModule(ModuleSource source, ModuleInfo info)
    {
        Source = source;
        Info = info;
        _endpoints = info.Endpoints.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public ModuleSource Source { get; }

    public ModuleInfo Info { get; }

    /// <summary>Why the module cannot serve now (its worker keeps crashing), or null while it can.</summary>
    public virtual string? Failure => null;

    public bool TryGetEndpoint(string name, out EndpointSchema endpoint) => _endpoints.TryGetValue(name, out endpoint!);

    /// <summary>
    /// Calls an endpoint with arguments already bound to its parameters: one slot per parameter,
    /// null where the caller gave nothing and the parameter's default applies. A streaming endpoint
    /// (<see cref="EndpointSchema.Streaming"/>) writes its items to <paramref name="stream"/>, which
    /// is then never null, awaiting each write, and returns <see cref="Value.Null"/> at the end.
    /// </summary>
    public abstract ValueTask<Value> InvokeAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, Protocol.StreamItemWriter? stream = null);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Loads modules of one language.</summary>
internal interface IModuleLoader
{
    /// <summary>The manifest language this loader serves (<c>csharp</c>, <c>python</c>).</summary>
    string Language { get; }

    /// <summary>Loads and initialises a module.</summary>
    /// <exception cref="ModuleLoadException">The module cannot be loaded; the fault says where and why.</exception>
    Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken);
}

/// <summary>A module could not be loaded; <see cref="Fault"/> names the file and the reason.</summary>
internal sealed class ModuleLoadException(ModuleFault fault) : Exception(fault.ToString())
{
    public ModuleFault Fault { get; } = fault;
}
