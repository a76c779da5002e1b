using Microsoft.Extensions.Diagnostics.HealthChecks;
using Modulus.Runtime;

namespace Modulus.Hosting;

/// <summary>Healthy once the tree is loaded; the description counts the modules served and failed.</summary>
internal sealed class ModuleTreeHealthCheck(IModuleCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var description = $"{catalog.Modules.Count} modules served, {catalog.Faults.Count} failed to load";
        return Task.FromResult(catalog.Modules.Count > 0 || catalog.Faults.Count == 0
            ? HealthCheckResult.Healthy(description)
            : HealthCheckResult.Unhealthy(description));
    }
}
