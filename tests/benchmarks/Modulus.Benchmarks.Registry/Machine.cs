using System.Runtime.InteropServices;

namespace Modulus.Benchmarks.Registry;

/// <summary>What a result is only meaningful with: the machine and the command that produced it.</summary>
internal static class Machine
{
    public static string Describe() =>
        $"{Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), "
        + $"{RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC";

    public static string CommandLine(string[] args) => "Modulus.Benchmarks.Registry " + string.Join(' ', args);

    /// <summary>A file above the working folder or the app, e.g. registry/contracts/package.json; null when not found.</summary>
    public static string? FindAbove(string relative)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
