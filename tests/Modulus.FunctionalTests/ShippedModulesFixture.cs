using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>One host serving a copy of the repository's modules/ tree for all shipped-module tests.</summary>
public sealed class ShippedModulesFixture : IAsyncLifetime
{
    private readonly TempTree _tree = new();

    internal TestHost Host { get; private set; } = null!;

    /// <summary>The host's module package cache, empty before the host started.</summary>
    internal string PackagesDirectory => Path.Combine(_tree.CacheDirectory, "packages");

    public async Task InitializeAsync()
    {
        _tree.CopyFrom(RepositoryPaths.Modules, ".");
        Host = await TestHost.StartAsync(_tree);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        _tree.Dispose();
    }
}
