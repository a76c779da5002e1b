using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using Modulus.Testing;

namespace Modulus.Models.Tests;

/// <summary>
/// The model files made here, run by the real llama.cpp: the shipped kjv-small continues its fixed
/// prompts exactly as recorded when it was trained, and the project's GGUF writer's tiny llama,
/// GPT-NeoX and Bloom files load and generate what was recorded for them, so each of the three
/// architectures the whitepaper names is loaded and run.
/// </summary>
public class GgufModelTests
{
    private static readonly string Shipped = Path.Combine(RepositoryPaths.Modules, "text", "generate");
    private static readonly string TestModels = Path.Combine(RepositoryPaths.Root, "tests", "models");

    public static TheoryData<string, int> Prompts()
    {
        var data = new TheoryData<string, int>();
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Shipped, "training.json")));
        var i = 0;
        foreach (var _ in record.RootElement.GetProperty("greedy").EnumerateArray())
        {
            data.Add("kjv-small.q8_0.gguf", i++);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void ShippedModel_GreedyContinuation_IsTheOneRecordedWhenItWasTrained(string file, int index)
    {
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Shipped, "training.json")));
        var greedy = record.RootElement.GetProperty("greedy")[index];
        var prompt = greedy.GetProperty("prompt").GetString()!;
        var expected = greedy.GetProperty("reference_for_q8_0_file").GetString()!;

        var ids = Generate(Path.Combine(Shipped, file), Encoding.UTF8.GetBytes(prompt), greedy.GetProperty("tokens").GetInt32());

        Assert.Equal(expected, Encoding.Latin1.GetString(ids.Select(i => (byte)i).ToArray()));
    }

    [Theory]
    [InlineData("tiny-llama.q8_0.gguf", "llama")]
    [InlineData("tiny-gptneox.f16.gguf", "gptneox")]
    [InlineData("tiny-bloom.f32.gguf", "bloom")]
    public void WritersTestModel_LoadsAsItsArchitecture_AndGeneratesWhatWasRecorded(string file, string architecture)
    {
        using var record = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestModels, "expected.json")));
        var model = record.RootElement.GetProperty("models").GetProperty(file);
        var expected = model.GetProperty("llamacpp_greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var prompt = Encoding.UTF8.GetBytes(record.RootElement.GetProperty("prompt").GetString()!);

        var path = Path.Combine(TestModels, file);
        using (var weights = LLamaWeights.LoadFromFile(Parameters(path)))
        {
            Assert.Equal(architecture, weights.Metadata["general.architecture"]);
        }

        Assert.Equal(expected, Generate(path, prompt, expected.Length));
    }

    [Fact]
    public async Task GgufWriter_RebuildsTheTestModelsByteForByte()
    {
        var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(RepositoryPaths.Root, "scripts", "make_test_models.py"), "--check"])
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"make-test-models --check failed: {await output}{errors}");
    }

    private static ModelParams Parameters(string path) =>
        new(path) { ContextSize = 128, BatchSize = 128, Threads = 1, BatchThreads = 1, GpuLayerCount = 0 };

    /// <summary>Greedy decoding of <paramref name="count"/> tokens after a byte-level prompt, without BOS, as the model was trained.</summary>
    private static int[] Generate(string path, byte[] prompt, int count)
    {
        var parameters = Parameters(path);
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var batch = new LLamaBatch();
        var tokens = prompt.Select(b => (LLamaToken)(int)b).ToArray();
        batch.AddRange(tokens, 0, LLamaSeqId.Zero, true);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        using var greedy = new GreedySamplingPipeline();
        var produced = new List<int>();
        var position = tokens.Length;
        var index = batch.TokenCount - 1;
        var eos = weights.NativeHandle.Vocab.EOS;
        while (produced.Count < count)
        {
            var token = greedy.Sample(context.NativeHandle, index);
            greedy.Accept(token);
            if (token == eos)
            {
                break;
            }

            produced.Add((int)token);
            batch.Clear();
            batch.Add(token, position++, LLamaSeqId.Zero, true);
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            index = 0;
        }

        return produced.ToArray();
    }
}
