using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// A host that answers DEADLINE_EXCEEDED while the caller's own deadline has time left (its module's
/// <c>timeout_ms</c> is shorter): the call may have run there, so the failover client tries the next
/// host only for an endpoint marked idempotent.
/// </summary>
public sealed class FailoverDeadlineTests : IAsyncLifetime
{
    private const string Source = """
        public sealed class Slow : Module
        {
            [Endpoint(Idempotent = true)]
            public async Task<string> Lookup(string text, CancellationToken token) { await Task.Delay(600, token); return Environment.Directory + "|" + text; }

            [Endpoint]
            public async Task<string> Append(string text, CancellationToken token) { await Task.Delay(600, token); return Environment.Directory + "|" + text; }
        }
        """;

    private readonly TempTree _hurried = new();
    private readonly TempTree _patient = new();
    private TestHost _first = null!;
    private TestHost _second = null!;

    public async Task InitializeAsync()
    {
        // The same module on both hosts; the first gives it 200 ms, the second 5 s.
        _hurried.AddCSharp("slow", Source, """, "name": "fail.deadline", "limits": { "timeout_ms": 200 }""");
        _patient.AddCSharp("slow", Source, """, "name": "fail.deadline", "limits": { "timeout_ms": 5000 }""");
        _first = await TestHost.StartAsync(_hurried);
        _second = await TestHost.StartAsync(_patient);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        _hurried.Dispose();
        _patient.Dispose();
    }

    [Fact]
    public async Task DeadlineOnOneHost_IdempotentEndpoint_IsAnsweredByTheNext()
    {
        await using var client = ModulusFailoverClient.Connect([_first.Address, _second.Address]);
        var result = (await client.CallAsync("fail.deadline/lookup", [Value.From("x")], null, new ModulusCallOptions(TimeSpan.FromSeconds(20)))).AsString();
        Assert.StartsWith(_patient.Root, result, StringComparison.Ordinal);
        Assert.EndsWith("|x", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadlineOnOneHost_EndpointNotMarkedIdempotent_IsTheErrorSayingItMayHaveRun()
    {
        await using var client = ModulusFailoverClient.Connect([_first.Address, _second.Address]);
        var error = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("fail.deadline/append", [Value.From("x")], null, new ModulusCallOptions(TimeSpan.FromSeconds(20))));
        Assert.Equal(StatusCode.DeadlineExceeded, error.Code);
        Assert.Contains($"may have run on {_first.Address}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not marked idempotent", error.Message, StringComparison.Ordinal);
    }
}
