using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary><c>modulus serve --http-port</c> as a process of its own: it says the base URL to give an OpenAI client, and answers there.</summary>
public sealed class OpenAiServeTests
{
    [Fact]
    public async Task Serve_PrintsTheOpenAiBaseUrl_AndTheOpenAiClientIsAnsweredThere()
    {
        using var tree = new TempTree();
        tree.CopyAs(OpenAiHostFixture.WordsModelFolder, "lm/words", "lm.words");
        await using var serve = await CliChild.StartAsync(
            ["serve", tree.Root, "--grpc-port", "0", "--tcp-port", "0", "--no-udp", "--http-port", "0", "--no-watch"],
            "OpenAI-compatible API at ",
            TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["MODULUS_HOME"] = tree.CacheDirectory });

        var baseUrl = serve.ReadyLine["OpenAI-compatible API at ".Length..].Split(' ')[0];
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/v1$", baseUrl);
        var answer = await OpenAiClientDriver.RunOneAsync(baseUrl, new { call = "chat.completions.create", body = new { model = "lm.words", messages = new[] { new { role = "user", content = "hi" } } } });
        Assert.Equal("1 messages; the last, from user, said: hi", answer.Ok()["result"]!["choices"]![0]!["message"]!["content"]!.Text());
    }
}
