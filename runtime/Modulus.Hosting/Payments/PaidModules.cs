using Microsoft.Extensions.Options;
using Modulus.Modules;
using Modulus.Runtime;
using Modulus.Runtime.Tree;

namespace Modulus.Hosting.Payments;

/// <summary>
/// The access rules (mode, price) of the served modules, read from their manifests. A stopgap
/// owned by the host until the module catalog carries manifests itself (the runtime's catalog and
/// invocation pipeline are being reshaped): it rescans the tree's manifests at most once per
/// <see cref="MaxAge"/>, so an edited price applies within a second, as a reload does.
/// </summary>
internal sealed class PaidModules(IOptions<ModulusRuntimeOptions> options, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private IReadOnlyDictionary<string, ModuleAccess> _access = new Dictionary<string, ModuleAccess>();
    private long _scannedAt = long.MinValue;

    /// <summary>The module's access rule, or <see cref="ModuleAccess.Open"/> when it is not served (the invoker then answers NOT_FOUND).</summary>
    public ModuleAccess Of(string module) => Current().TryGetValue(module, out var access) ? access : ModuleAccess.Open;

    /// <summary>The info with the module's access mode and prices filled in.</summary>
    public Sdk.ModuleInfo Describe(Sdk.ModuleInfo info)
    {
        var access = Of(info.Name);
        return info with
        {
            AccessMode = access.Mode,
            Price = access.IsPaid ? GptAmount.ToDecimalString(access.Price) : null,
            PricePer1kTokens = access.IsPaid && !access.PricePer1kTokens.IsZero ? GptAmount.ToDecimalString(access.PricePer1kTokens) : null,
        };
    }

    private IReadOnlyDictionary<string, ModuleAccess> Current()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_scannedAt != long.MinValue && time.GetElapsedTime(_scannedAt, now) < MaxAge)
            {
                return _access;
            }

            _scannedAt = now;
        }

        IReadOnlyDictionary<string, ModuleAccess> access;
        try
        {
            access = ModuleTreeScanner.Scan(options.Value.TreeRoot).Modules
                .GroupBy(m => m.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First().Manifest.Access, StringComparer.Ordinal);
        }
        catch (DirectoryNotFoundException)
        {
            access = new Dictionary<string, ModuleAccess>();
        }

        lock (_gate)
        {
            _access = access;
        }

        return access;
    }
}
