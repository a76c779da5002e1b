using Modulus.Protocol;
using Modulus.Runtime.Tree;
using Modulus.Sdk;

namespace Modulus.Runtime;

/// <summary>What the host serves right now: the loaded modules and the folders that failed.</summary>
public interface IModuleCatalog
{
    /// <summary>The modules served, by name.</summary>
    IReadOnlyList<ModuleInfo> Modules { get; }

    /// <summary>Module folders that could not be loaded, each with its file and reason.</summary>
    IReadOnlyList<ModuleFault> Faults { get; }

    /// <summary>Modules found in the tree and still loading (their workers starting, their code compiling or importing).</summary>
    IReadOnlyList<string> Loading { get; }

    /// <summary>The module served under <paramref name="name"/>, or null.</summary>
    ModuleInfo? Find(string name);

    /// <summary>
    /// Rescans the tree and loads what changed; returns when the catalog reflects the tree. The host
    /// loads the tree itself once it has started; awaiting this after start waits for that first load.
    /// </summary>
    Task ReloadAsync(CancellationToken cancellationToken);
}

/// <summary>Calls module endpoints: binding, limits, deadlines and error translation included.</summary>
public interface IModuleInvoker
{
    /// <summary>Calls an endpoint and returns its result.</summary>
    /// <exception cref="ModulusException">Every failure, with its status code: NOT_FOUND, INVALID_ARGUMENT, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, ...</exception>
    ValueTask<Value> InvokeAsync(ModuleCall call, CancellationToken cancellationToken);
}
