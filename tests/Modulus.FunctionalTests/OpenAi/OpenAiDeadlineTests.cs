using Modulus.Client;
using Modulus.Testing;

namespace Modulus.FunctionalTests.OpenAi;

/// <summary>Modulus:Http:Timeout on a real host: a request past it is a 504, or, once streaming, an error event, and the model stops.</summary>
public sealed class OpenAiDeadlineTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    private string BaseUrl => _host.Server.HttpAddress + "/v1";

    public async Task InitializeAsync()
    {
        _tree.CopyAs(OpenAiHostFixture.WordsModelFolder, "lm/words", "lm.words");
        _host = await TestHost.StartAsync(_tree, configure: o => o.Http.Timeout = TimeSpan.FromSeconds(1));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task RequestPastTheHttpTimeout_Is504_OrAnErrorEventOnceStreaming_AndTheModelStops()
    {
        var slowly = (bool stream) => new { call = "completions.create", body = new { model = "lm.words", prompt = "slowly", max_tokens = 10_000, stream } };
        var results = await OpenAiClientDriver.RunAsync(BaseUrl, slowly(false), slowly(true));

        var whole = results[0].Failed();
        Assert.Equal(504, whole["status"]!.GetValue<int>());
        Assert.Equal("deadline_exceeded", whole["code"]!.Text());
        Assert.Equal("timeout_error", whole["type"]!.Text());
        Assert.Matches(@"lm\.words/generate did not finish within \d+ ms", whole["message"]!.Text());

        var streamed = results[1];
        Assert.NotEmpty(streamed["chunks"]!.AsArray());
        Assert.Matches(@"did not finish within \d+ ms", streamed.Failed()["message"]!.Text());

        // Both generations were stopped at the deadline, not run to their 10,000 pieces.
        await using var client = ModulusClient.Connect(_host.Address);
        var stats = await Eventually.WaitForAsync(async () => (await client.CallAsync("lm.words/stats")).AsMap(), s => s["cancelled"].AsInt() == 2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, stats["cancelled"].AsInt());
        Assert.InRange(stats["produced"].AsInt(), 2, 200);
    }
}
