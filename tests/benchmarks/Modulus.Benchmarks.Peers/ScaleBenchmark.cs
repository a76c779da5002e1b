using System.Diagnostics;
using System.Globalization;
using Modulus.Client;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// A tree of generated C# modules served by one host: time to the "Serving" line and to the first
/// answered call, and resident memory, cold (nothing compiled yet) and warm (compiled modules cached).
/// </summary>
internal sealed class ScaleBenchmark(HarnessOptions options, Report report)
{
    public static double WarmReadyMs { get; private set; } = double.NaN;

    public async Task RunAsync()
    {
        var count = options.ScaleModules;
        var root = Path.Combine(Path.GetTempPath(), $"modulus-bench-scale-{Environment.ProcessId}");
        var tree = Path.Combine(root, "tree");
        var home = Path.Combine(root, "home");
        try
        {
            var generate = Stopwatch.StartNew();
            Generate(tree, count);
            Console.Error.WriteLine($"  scale: generated {count:N0} C# modules in {generate.Elapsed.TotalSeconds:0.0} s");
            var rows = new List<string[]>();
            foreach (var start in new[] { "cold: nothing compiled yet", "warm: compiled modules cached" })
            {
                var progress = Progress.Start($"scale: serve {count:N0} modules, {start}", 1);
                await using var host = await HostProcess.StartAsync(options.Cli, tree, home, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
                var server = new ServerProcess("scale host", host.Process);
                await using var client = ModulusClient.Connect(host.Address("tcp"));
                var started = Stopwatch.StartNew();
                var answer = await client.CallAsync($"gen.m{count - 1:D4}", 1).ConfigureAwait(false);
                var firstCall = started.Elapsed.TotalMilliseconds;
                if (answer.AsInt() != count)
                {
                    throw new InvalidOperationException($"gen.m{count - 1:D4} answered {answer}, not {count}");
                }

                var listing = await client.ListAsync().ConfigureAwait(false);
                if (listing.Modules.Count != count)
                {
                    throw new InvalidOperationException($"the host serves {listing.Modules.Count} of the {count} generated modules");
                }

                var memory = server.MemoryBytes() / 1048576.0;
                progress.Step();
                rows.Add([start, Report.Number(host.ReadyMs), Report.Number(firstCall), Report.Number(memory)]);
                var key = start.Split(':')[0];
                report.Add("scale", $"{count} modules", "Modulus host", $"{key}: ready", host.ReadyMs, "ms");
                report.Add("scale", $"{count} modules", "Modulus host", $"{key}: first call", firstCall, "ms");
                report.Add("scale", $"{count} modules", "Modulus host", $"{key}: resident", memory, "MiB");
                if (key == "warm")
                {
                    WarmReadyMs = host.ReadyMs;
                }
            }

            report.Heading($"Serving {count:N0} modules");
            report.Paragraph($"A generated tree of {count:N0} C# modules (gen.m0000 … gen.m{count - 1:D4}, each `long Forward(long x) => x + i`), served by "
                + "`modulus serve` as its own process. The modules are marked \"isolation\": \"inprocess\": this measures the catalog and the compiler at scale, "
                + "and a worker process per module would be 1,000 processes (see \"Memory of the host and its workers\" for one worker's cost). Ready is the time from starting the process to its \"Serving\" line; the first call then goes to the "
                + "last module over TCP, and the listing is checked to hold them all. Cold starts with an empty compile cache; warm restarts with it.");
            report.Table(["start", "ready, ms", "first call, ms", "resident, MiB"], rows);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static void Generate(string tree, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var folder = Path.Combine(tree, "gen", $"m{i:D4}");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "module.json"), $$"""{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "description": "generated module {{i}}", "isolation": "inprocess" }""");
            File.WriteAllText(Path.Combine(folder, "M.cs"), string.Create(CultureInfo.InvariantCulture, $$"""
                namespace Generated;

                /// <summary>Generated module {{i}}.</summary>
                public sealed class M{{i:D4}} : Module
                {
                    /// <summary>x plus this module's number.</summary>
                    public long Forward(long x) => x + {{i}};
                }
                """));
        }
    }
}
