using System.Runtime.InteropServices;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// The runtime identifiers whose <c>runtimes/&lt;rid&gt;/</c> assets suit this process, most specific
/// first: the process's own, then the portable ones it falls back to (as NuGet's runtime graph has
/// them for the common platforms: <c>linux-x64</c>, <c>linux</c>, <c>unix</c>; <c>win-x64</c>, <c>win</c>;
/// <c>osx-arm64</c>, <c>osx</c>, <c>unix</c>).
/// </summary>
internal static class RuntimeIdentifierChain
{
    /// <summary>The chain for the running process.</summary>
    public static IReadOnlyList<string> Current { get; } = Build(RuntimeInformation.RuntimeIdentifier, RuntimeInformation.ProcessArchitecture);

    /// <summary>The chain for <paramref name="runtimeIdentifier"/> on <paramref name="architecture"/>.</summary>
    internal static IReadOnlyList<string> Build(string runtimeIdentifier, Architecture architecture)
    {
        var arch = architecture.ToString().ToLowerInvariant();
        var chain = new List<string> { runtimeIdentifier };
        if (OperatingSystem.IsWindows())
        {
            chain.AddRange([$"win-{arch}", "win"]);
        }
        else if (OperatingSystem.IsMacOS())
        {
            chain.AddRange([$"osx-{arch}", "osx", "unix"]);
        }
        else
        {
            if (runtimeIdentifier.StartsWith("linux-musl", StringComparison.Ordinal))
            {
                chain.Add($"linux-musl-{arch}");
            }

            chain.AddRange([$"linux-{arch}", "linux", "unix"]);
        }

        return chain.Distinct(StringComparer.Ordinal).ToArray();
    }
}
