using System.Diagnostics;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

public class LimitsTests
{
    private const string Slow = """
        public sealed class Slow : Module
        {
            public async Task<string> Forward(int ms, CancellationToken cancellationToken)
            {
                await Task.Delay(ms, cancellationToken);
                return "done";
            }

            [Endpoint]
            public async Task<string> Stubborn(int ms)
            {
                await Task.Delay(ms);
                return "done";
            }
        }
        """;

    [Fact]
    public async Task Call_PastTimeout_IsDeadlineExceeded_AndTheModuleTokenIsCancelled()
    {
        using var tree = new TempTree();
        tree.AddCSharp("slow", Slow, """, "limits": { "timeout_ms": 200 }""");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var stopwatch = Stopwatch.StartNew();
        var ex = await runtime.FailAsync("slow", 10_000);
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
        Assert.Contains("200 ms", ex.Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), "the call was not stopped at its deadline");
        Assert.Equal("done", (await runtime.CallAsync("slow", 1)).AsString());
    }

    [Fact]
    public async Task Call_ModuleIgnoringItsToken_StillAnswersAtTheDeadline()
    {
        using var tree = new TempTree();
        tree.AddCSharp("slow", Slow, """, "limits": { "timeout_ms": 200 }""");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(StatusCode.DeadlineExceeded, (await runtime.FailAsync("slow/stubborn", 3_000)).Code);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2.5), "the caller waited for a module that ignored its deadline");
    }

    [Fact]
    public async Task Call_CallerDeadlineInThePast_IsDeadlineExceeded()
    {
        using var tree = new TempTree();
        tree.AddCSharp("slow", Slow);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var ex = await Assert.ThrowsAsync<ModulusException>(async () => await runtime.CallAsync("slow", [1], new(), DateTimeOffset.UtcNow.AddSeconds(-1)));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
    }

    [Fact]
    public async Task Call_OverConcurrencyAndQueue_IsResourceExhausted_QueuedCallsRun()
    {
        using var tree = new TempTree();
        tree.AddCSharp("slow", Slow, """, "limits": { "max_concurrency": 1, "max_queue": 1 }""");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var running = runtime.CallAsync("slow", 500).AsTask();
        var queued = runtime.CallAsync("slow", 1).AsTask();
        var ex = await runtime.FailAsync("slow", 1);

        Assert.Equal(StatusCode.ResourceExhausted, ex.Code);
        Assert.Contains("max_concurrency", ex.Message);
        Assert.Equal("done", (await running).AsString());
        Assert.Equal("done", (await queued).AsString());
    }

    [Fact]
    public async Task Call_OverTheModulesRequestSize_IsResourceExhaustedNamingTheLimit()
    {
        using var tree = new TempTree();
        tree.AddCSharp("small", "public sealed class S : Module { public int Forward(string text) => text.Length; }", """, "limits": { "max_request_bytes": 1000 }""");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var call = new Modulus.Protocol.ModuleCall("small", "forward", [new string('x', 2000)], new Dictionary<string, Value>()) { RequestBytes = 2010 };
        var ex = await Assert.ThrowsAsync<ModulusException>(async () => await runtime.Invoker.InvokeAsync(call, CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Code);
        Assert.Contains("limits.max_request_bytes", ex.Message);
        Assert.Equal(5, (await runtime.CallAsync("small", "hello")).AsInt());
    }
}
