using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Modulus.Benchmarks.Peers;

/// <summary>What the figures are only meaningful with: the machine, the runtimes and the peers' versions.</summary>
internal sealed record Machine(string Summary, string Peers)
{
    public static Machine Describe(string python)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;
        var summary = $"{Environment.ProcessorCount} logical cores ({cpu ?? "unknown CPU"}), "
            + $"{(memory is null ? string.Empty : $"{long.Parse(memory, System.Globalization.CultureInfo.InvariantCulture) / 1048576.0:0} GiB, ")}"
            + $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
        return new Machine(summary, PeerVersions(python));
    }

    private static string PeerVersions(string python)
    {
        const string Script = "import sys, grpc, fastapi, uvicorn, numpy, pydantic\n"
            + "def v(name):\n    try:\n        return __import__(name).__version__\n    except Exception:\n        return 'not installed'\n"
            + "print(f'Python {sys.version.split()[0]}, grpcio {grpc.__version__}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__} '"
            + " f'(uvloop {v(\"uvloop\")}, httptools {v(\"httptools\")}), pydantic {pydantic.VERSION}, numpy {numpy.__version__}')";
        var info = new ProcessStartInfo(python, ["-c", Script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        var errors = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{python} lacks a peer's package ({errors.Split('\n').LastOrDefault()}); `make bench` installs python3-grpcio, python3-fastapi, python3-uvicorn and python3-numpy from Debian when run as root");
    }
}
