using System.Runtime.InteropServices;

namespace Modulus.Runtime.Isolation;

/// <summary>Finds the program that runs a worker.</summary>
internal static class WorkerCommand
{
    /// <summary>The name of the worker program that ships beside every host.</summary>
    public const string ProgramName = "Modulus.Worker";

    /// <summary>The configured command, else the worker program beside the host, run by the same .NET.</summary>
    /// <exception cref="InvalidOperationException">No worker program can be found; the message says what to set.</exception>
    public static IReadOnlyList<string> Resolve(WorkerOptions options)
    {
        if (options.Command is { Count: > 0 } configured)
        {
            return configured.ToArray();
        }

        var assembly = Path.Combine(AppContext.BaseDirectory, ProgramName + ".dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException(
                $"the worker program {ProgramName}.dll is not beside the host in {AppContext.BaseDirectory}; reference the Modulus.Hosting package (which brings it), or set Modulus:Runtime:Workers:Command");
        }

        return [DotnetHost(), "exec", assembly];
    }

    /// <summary>The <c>dotnet</c> executable of the runtime this process runs on.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        // .../dotnet/shared/Microsoft.NETCore.App/10.0.x/ → .../dotnet/dotnet
        var runtime = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        var candidate = Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
