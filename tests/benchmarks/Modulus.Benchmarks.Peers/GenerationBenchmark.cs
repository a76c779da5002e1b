using System.Diagnostics;
using System.Text.Json;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// Text generation: the shipped GGUF module (modules/text/generate, served by `modulus serve` in a
/// worker process) beside its floor, LLamaSharp on the same file with the same settings in this
/// process. One greedy stream at a time over gRPC, TCP and the OpenAI-compatible HTTP API (SSE),
/// in alternating rounds with the floor; then aggregate tokens/s with 1, 4 and 16 streams in flight
/// over gRPC and TCP beside the floor with as many contexts as the module has.
/// </summary>
internal sealed class GenerationBenchmark(HarnessOptions options, Report report)
{
    /// <summary>Short enough that prompt plus answer fit the model's 128-token context; greedy, so every run gives the same text.</summary>
    private const string Prompt = "And God said, ";

    private static readonly int[] InFlight = [1, 4, 16];

    /// <summary>One stream's tokens/s over the floor's, per system name (for the targets).</summary>
    public static Dictionary<string, double> RateOverFloor { get; } = [];

    /// <summary>Time to first token at p50 minus the floor's, in ms, per system name.</summary>
    public static Dictionary<string, double> FirstTokenOverFloorMs { get; } = [];

    private int MaxTokens { get; set; }

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var module = Path.GetFullPath(options.GenerateModule);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(module, "module.json"), cancellationToken).ConfigureAwait(false));
        var name = manifest.RootElement.GetProperty("name").GetString()!;
        var modelFile = Path.Combine(module, manifest.RootElement.GetProperty("model").GetString()!);
        int? Setting(string key) => manifest.RootElement.TryGetProperty(key, out var v) ? v.GetInt32() : null;
        var (contexts, threads, context) = (Setting("contexts") ?? 2, Setting("threads") ?? 2, Setting("context"));

        // The host serves a tree of this module alone, named as in modules/ (the tree's folders make its name).
        var root = Path.Combine(Path.GetTempPath(), $"modulus-bench-generate-{Environment.ProcessId}");
        var folder = Path.Combine([root, "tree", .. name.Split('.')]);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(module))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }

        var streams = new List<IGenerationStream>();
        HostProcess? host = null;
        GenerationFloor? floor = null;
        try
        {
            var progress = Progress.Start($"text generation: `modulus serve` with {name} in its worker, and the floor (LLamaSharp in this process)", 1);
            host = await HostProcess.StartAsync(options.Cli, Path.Combine(root, "tree"), Path.Combine(root, "home"), TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            var http = await OpenAiAddressAsync(host, cancellationToken).ConfigureAwait(false);
            floor = await GenerationFloor.LoadAsync(modelFile, context, contexts, threads, cancellationToken).ConfigureAwait(false);
            progress.Step();

            // As many tokens as fit beside the prompt (BOS and one byte per token, this model being byte-level), within the context.
            MaxTokens = Math.Min(options.Quick ? 96 : 100, floor.Context - Prompt.Length - 8);
            var floorStream = new FloorGenerationStream(floor);
            var grpc = new ModulusGenerationStream("Modulus gRPC (StreamAsync)", host.Address("grpc"), name);
            var tcp = new ModulusGenerationStream("Modulus TCP (StreamAsync)", host.Address("tcp"), name);
            var openAi = new OpenAiGenerationStream(http, name);
            streams.AddRange([floorStream, grpc, tcp, openAi]);

            var expected = await floor.GenerateAsync(Prompt, MaxTokens, cancellationToken).ConfigureAwait(false);
            var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            var check = new ReplyCheck(expected);
            foreach (var stream in streams)
            {
                for (var i = 0; i < 3; i++)
                {
                    check.Add(stream, await stream.GenerateAsync(Prompt, MaxTokens, cancellationToken).ConfigureAwait(false));
                }
            }

            var single = await OneStreamAsync(streams, check, cancellationToken).ConfigureAwait(false);
            var calls = options.Quick ? 200 : 1_000;
            var tokenize = new Dictionary<string, double>
            {
                [grpc.Name] = await grpc.TokenizeP50Async(Prompt, calls, cancellationToken).ConfigureAwait(false),
                [tcp.Name] = await tcp.TokenizeP50Async(Prompt, calls, cancellationToken).ConfigureAwait(false),
            };
            var aggregate = new Dictionary<(string, int), double>();
            foreach (var n in InFlight)
            {
                foreach (var (stream, rate) in await InFlightAsync([floorStream, grpc, tcp], n, check, cancellationToken).ConfigureAwait(false))
                {
                    aggregate[(stream.Name, n)] = rate;
                }
            }

            load += " to " + File.ReadAllText("/proc/loadavg").Split(' ')[0];
            Write(name, streams, single, aggregate, expected, check, contexts, threads, floor.Context, load);
            report.Paragraph($"Beside the time to first token: a unary call to {name}/tokenize with the same prompt (the same host, worker and client, no generation) took "
                + string.Join(", ", tokenize.Select(t => $"{Report.Number(t.Value / 1000)} ms at p50 over {t.Key}")) + $" ({calls:N0} calls each, after the streams).");
            foreach (var (system, p50) in tokenize)
            {
                report.Add("generation", "tokenize, one call in flight", system, "p50", p50, "us");
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }

            floor?.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The host prints its OpenAI-compatible API's address on the line after "Serving …"; HostProcess stops reading at that one.</summary>
    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static async Task<string> OpenAiAddressAsync(HostProcess host, CancellationToken cancellationToken)
    {
        const string Marker = "OpenAI-compatible API at ";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (await host.Process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
        {
            if (line.IndexOf(Marker, StringComparison.Ordinal) is var at and >= 0)
            {
                // Whatever the host writes later is drained, so that a full pipe never stalls it.
                _ = host.Process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                var address = line[(at + Marker.Length)..].Split(' ')[0];
                return address.EndsWith("/v1", StringComparison.Ordinal) ? address[..^3] : address;
            }
        }

        throw new InvalidOperationException("modulus serve did not print its OpenAI-compatible API's address");
    }

    /// <summary>One stream in flight, rounds alternating between the systems so that the machine's noise falls on all of them alike.</summary>
    private async Task<Dictionary<IGenerationStream, List<GeneratedStream>>> OneStreamAsync(IReadOnlyList<IGenerationStream> streams, ReplyCheck check, CancellationToken cancellationToken)
    {
        var rounds = options.Quick ? 25 : 100;
        var samples = streams.ToDictionary(s => s, _ => new List<GeneratedStream>(rounds));
        var progress = Progress.Start($"text generation: one stream, {rounds} rounds × {streams.Count} systems, {MaxTokens} tokens each", rounds);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var stream in streams)
            {
                var result = await stream.GenerateAsync(Prompt, MaxTokens, cancellationToken).ConfigureAwait(false);
                samples[stream].Add(check.Add(stream, result));
            }

            progress.Step();
        }

        return samples;
    }

    /// <summary>Aggregate tokens/s with <paramref name="n"/> streams in flight on each system in turn, each stream started again as it ends.</summary>
    private async Task<Dictionary<IGenerationStream, double>> InFlightAsync(IReadOnlyList<IGenerationStream> streams, int n, ReplyCheck check, CancellationToken cancellationToken)
    {
        var time = TimeSpan.FromSeconds(options.Quick ? 1.5 : 4);
        var progress = Progress.Start($"text generation: {n} streams in flight × {streams.Count} systems, {time.TotalSeconds:0.#} s each", streams.Count);
        var rates = new Dictionary<IGenerationStream, double>();
        foreach (var stream in streams)
        {
            var started = Stopwatch.GetTimestamp();
            long tokens = 0;
            async Task KeepStreamingAsync()
            {
                while (Stopwatch.GetElapsedTime(started) < time)
                {
                    var result = check.Add(stream, await stream.GenerateAsync(Prompt, MaxTokens, cancellationToken).ConfigureAwait(false));
                    Interlocked.Add(ref tokens, result.Tokens);
                }
            }

            await Task.WhenAll(Enumerable.Range(0, n).Select(_ => KeepStreamingAsync())).ConfigureAwait(false);
            rates[stream] = tokens / Stopwatch.GetElapsedTime(started).TotalSeconds;
            progress.Step();
        }

        return rates;
    }

    private void Write(string name, IReadOnlyList<IGenerationStream> streams, Dictionary<IGenerationStream, List<GeneratedStream>> single,
        Dictionary<(string, int), double> aggregate, GeneratedStream expected, ReplyCheck check, int contexts, int threads, int context, string load)
    {
        report.Heading($"Text generation ({options.Command}, {DateTime.UtcNow:yyyy-MM-dd})");
        report.Paragraph($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. {name} (modules/text/generate: kjv-small, a byte-level llama of 1.87 M parameters, Q8_0) served by "
            + $"`modulus serve` in its worker process (runtime/Modulus.Runtime.Llama, LLamaSharp 0.30.0, CPU), beside the floor: LLamaSharp 0.30.0 driven directly in "
            + $"the load generator's process on the same file with the same settings ({context}-token context, {Plural(threads, "thread")}, {contexts} contexts, one sequence, "
            + $"batch {Math.Min(context, 512)}) and the same loop (decode the prompt, then greedy sampling and one decode per token, each token's bytes made text as it comes). "
            + $"Every stream continues the prompt \"{Prompt}\" greedily (temperature 0) for max_tokens {MaxTokens}: {expected.Tokens} tokens, one stream item or SSE chunk each; "
            + $"{(check.Mismatches == 0 ? $"every one of the {check.Checked:N0} replies of the run was the floor's text" : $"**{check.Mismatches:N0} of {check.Checked:N0} replies differed from the floor's text**")}. "
            + $"Load average (1 min) over the measurements: {load}.");

        var floorName = streams[0].Name;
        double Rate(List<GeneratedStream> list) => Measurements.Percentile(list.Select(s => s.Tokens / (s.TotalMicros / 1e6)).ToList(), 0.5);
        double First(List<GeneratedStream> list) => Measurements.Percentile(list.Select(s => s.FirstMicros).ToList(), 0.5);
        var floorRate = Rate(single[streams[0]]);
        var floorFirst = First(single[streams[0]]);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var stream in streams)
        {
            var list = single[stream];
            var (rate, first) = (Rate(list), First(list));
            var firstP90 = Measurements.Percentile(list.Select(s => s.FirstMicros).ToList(), 0.9);
            var whole = Measurements.Percentile(list.Select(s => s.TotalMicros).ToList(), 0.5);
            var isFloor = stream.Name == floorName;
            rows.Add([stream.Name, Report.Number(rate), isFloor ? "floor" : Report.Number(100 * rate / floorRate) + " %", Report.Number(first / 1000), Report.Number(firstP90 / 1000),
                isFloor ? "floor" : (first - floorFirst >= 0 ? "+" : string.Empty) + Report.Number((first - floorFirst) / 1000), Report.Number(whole / 1000)]);
            report.Add("generation", "one stream", stream.Name, "tokens/s (p50 of streams)", rate, "tokens/s");
            report.Add("generation", "one stream", stream.Name, "time to first token p50", first / 1000, "ms");
            report.Add("generation", "one stream", stream.Name, "time to first token p90", firstP90 / 1000, "ms");
            report.Add("generation", "one stream", stream.Name, "whole stream p50", whole / 1000, "ms");
            if (!isFloor)
            {
                RateOverFloor[stream.Name] = rate / floorRate;
                FirstTokenOverFloorMs[stream.Name] = (first - floorFirst) / 1000;
            }
        }

        report.Heading("One stream at a time", 4);
        report.Paragraph($"{single[streams[0]].Count} streams per system in alternating rounds. tokens/s is each stream's tokens over its whole time (from the call to its last "
            + "token, so it includes the time to the first token), p50 over the streams; time to first token is from the call to its first text.");
        report.Table(["one stream", "tokens/s", "of the floor (target ≥ 95 %)", "first token p50, ms", "first token p90, ms", "first token − floor, ms (target ≤ 2)", "whole stream p50, ms"], rows);

        report.Heading("Streams in flight: aggregate tokens/s", 4);
        report.Paragraph($"n streams at once on one client per transport (each started again as it ends) for {(options.Quick ? 1.5 : 4):0.#} s per system and n; the module has "
            + $"{contexts} contexts of {Plural(threads, "thread")}, so more than {contexts} streams wait for a context; the floor rents from a pool of as many contexts in this process.");
        var inFlightStreams = streams.Where(s => aggregate.ContainsKey((s.Name, 1))).ToArray();
        report.Table(["tokens/s", .. InFlight.Select(n => $"{n} in flight"), $"of the floor at {InFlight[^1]}"], inFlightStreams.Select(s => (IReadOnlyList<string>)
        [
            s.Name, .. InFlight.Select(n => Report.Number(aggregate[(s.Name, n)])),
            s.Name == floorName ? "floor" : Report.Number(100 * aggregate[(s.Name, InFlight[^1])] / aggregate[(floorName, InFlight[^1])]) + " %",
        ]));
        foreach (var s in inFlightStreams)
        {
            foreach (var n in InFlight)
            {
                report.Add("generation", $"{n} in flight", s.Name, "aggregate tokens/s", aggregate[(s.Name, n)], "tokens/s");
            }
        }
    }

    /// <summary>Checks every reply against the floor's greedy text, and counts a matching reply's tokens as the floor's (a byte-level model's items are not always one token each).</summary>
    private sealed class ReplyCheck(GeneratedStream expected)
    {
        private long _checked;
        private long _mismatches;

        public long Checked => Interlocked.Read(ref _checked);

        public long Mismatches => Interlocked.Read(ref _mismatches);

        public GeneratedStream Add(IGenerationStream stream, GeneratedStream result)
        {
            Interlocked.Increment(ref _checked);
            if (result.Text == expected.Text)
            {
                return result with { Tokens = expected.Tokens };
            }

            if (Interlocked.Increment(ref _mismatches) == 1)
            {
                Console.Error.WriteLine($"  text generation: {stream.Name} answered \"{result.Text}\", the floor \"{expected.Text}\"");
            }

            return result;
        }
    }
}
