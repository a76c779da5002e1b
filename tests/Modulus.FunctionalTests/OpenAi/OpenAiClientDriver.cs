using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary>
/// Runs tests/openai/drive.mjs: the official <c>openai</c> npm client (installed there by
/// scripts/ensure-deps.sh, which <c>make test</c> runs) calling a host's OpenAI-compatible API, as a
/// user's program would. Each step is one client call; its result is what the client saw.
/// </summary>
internal static class OpenAiClientDriver
{
    private static readonly JsonSerializerOptions StepJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private static string Folder => Path.Combine(RepositoryPaths.Root, "tests", "openai");

    /// <summary>Runs the steps in one client process, in order; one result per step.</summary>
    public static async Task<JsonNode[]> RunAsync(string baseUrl, params object[] steps)
    {
        Assert.True(Directory.Exists(Path.Combine(Folder, "node_modules", "openai")),
            "the openai npm client is not installed in tests/openai: run scripts/ensure-deps.sh (make test and make build do)");
        var info = new ProcessStartInfo("node", [Path.Combine(Folder, "drive.mjs"), JsonSerializer.Serialize(steps, StepJson)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        info.Environment["MODULUS_OPENAI_BASE_URL"] = baseUrl;
        // The client reads these when a step gives none: never the developer's own.
        foreach (var name in new[] { "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_LOG" })
        {
            info.Environment.Remove(name);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the openai client did not finish within 90 s: {await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"the openai client exited with {process.ExitCode}: {await stderr}{output}");
        return JsonNode.Parse(output)!.AsArray().Select(r => r!).ToArray();
    }

    public static async Task<JsonNode> RunOneAsync(string baseUrl, object step) => (await RunAsync(baseUrl, step))[0];

    /// <summary>The step's result, after checking that the client saw no error.</summary>
    public static JsonNode Ok(this JsonNode result)
    {
        Assert.True(result["ok"]!.GetValue<bool>(), $"the client saw an error: {result["error"]?.ToJsonString()}");
        return result;
    }

    /// <summary>The error the client raised, after checking that it raised one.</summary>
    public static JsonNode Failed(this JsonNode result)
    {
        Assert.False(result["ok"]!.GetValue<bool>(), $"the client saw no error: {result.ToJsonString()}");
        return result["error"]!;
    }

    public static string Text(this JsonNode node) => node.GetValue<string>();
}
