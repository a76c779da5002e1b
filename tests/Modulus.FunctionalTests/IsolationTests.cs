using System.Diagnostics;
using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// Modules that crash, hang, recurse, leak or return what cannot cross a boundary, in C# and in
/// Python, through real sockets against a real host: each caller gets a specific error within its
/// deadline plus the grace period, the host serves on, and the faulty module serves again once its
/// worker has restarted.
/// </summary>
public sealed class IsolationTests(IsolationTests.Fixture fixture) : IClassFixture<IsolationTests.Fixture>
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    // Generous: the machine runs other tests; what matters is an answer, not a hang.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(4);

    public static TheoryData<string> Transports => new() { "grpc", "tcp", "udp" };

    [Theory]
    [InlineData("grpc", "py.faulty/exit", "exited with code 3")]
    [InlineData("tcp", "py.faulty/exit", "exited with code 3")]
    [InlineData("udp", "py.faulty/exit", "exited with code 3")]
    [InlineData("tcp", "cs.faulty/exit", "exited with code 3")]
    [InlineData("grpc", "cs.faulty/exit", "exited with code 3")]
    public async Task ModuleEndsItsProcess_CallerGetsUnavailableNamingTheExit_HostServesOn(string scheme, string target, string expected)
    {
        await using var client = fixture.Connect(scheme);
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(target, 3));
        Assert.Equal(StatusCode.Unavailable, ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("worker", ex.Message, StringComparison.Ordinal);
        await fixture.AssertHostServesAsync();
        Assert.Equal("ok", (await client.CallAsync(target.Split('/')[0] + "/ok")).AsString());
    }

    [Theory]
    [InlineData("py.faulty/segfault", "signal 11 (SIGSEGV)")]
    [InlineData("cs.faulty/recurse", "signal 6 (SIGABRT)")]
    public async Task ModuleCrashes_CallerGetsUnavailableNamingTheSignal_HostServesOn(string target, string expected)
    {
        await using var client = fixture.Connect("tcp");
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(target));
        Assert.Equal(StatusCode.Unavailable, ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        await fixture.AssertHostServesAsync();
        Assert.Equal("ok", (await client.CallAsync(target.Split('/')[0] + "/ok")).AsString());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task PythonSleepsPastItsDeadline_DeadlineExceededOnTime_HostServesOn(string scheme)
    {
        // time.sleep cannot be interrupted: the worker is killed after the grace period and restarts.
        await AssertDeadlineAsync(scheme, "py.faulty/sleep", 30.0);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CSharpLoopIgnoresItsToken_DeadlineExceededOnTime_HostServesOn(string scheme)
    {
        await AssertDeadlineAsync(scheme, "cs.faulty/spin");
    }

    [Fact]
    public async Task PythonLoopPastItsDeadline_IsInterruptedInsideItsWorker_WhichLivesOn()
    {
        await using var client = fixture.Connect("tcp");
        var before = await client.CallAsync("py.faulty/pid");
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("py.faulty/spin", [Value.From(30.0)], null, new ModulusCallOptions(TimeSpan.FromMilliseconds(500))));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
        // Interrupted with the GIL held, inside the worker: the same process answers next.
        Assert.Equal(before.AsInt(), (await client.CallAsync("py.faulty/pid")).AsInt());
    }

    [Fact]
    public async Task LargeTensorWithShortDeadline_IsAnsweredDeadlineExceeded_HostServesOn()
    {
        await using var client = fixture.Connect("tcp");
        // 16 MB, under the module's 16 MiB request limit with the envelope around it.
        var data = new byte[16_000_000];
        new Random(7).NextBytes(data);
        for (var i = 3; i < data.Length; i += 4)
        {
            data[i] = 0x3f; // finite floats
        }

        var tensor = Tensor.Create(DType.FP32, [data.Length / 4], data);
        try
        {
            // A fast machine may finish in time; what it must not do is take the host down.
            var result = await client.CallAsync("tensor.moments/standardize", [Value.From(tensor)], null, new ModulusCallOptions(TimeSpan.FromMilliseconds(250)));
            Assert.Equal(tensor.Shape, result.AsTensor().Shape);
        }
        catch (ModulusException ex)
        {
            Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
        }

        await fixture.AssertHostServesAsync();
    }

    [Theory]
    [InlineData("py.faulty/selfref")]
    [InlineData("py.faulty/deep")]
    [InlineData("cs.faulty/deep")]
    public async Task ResultNestedTooDeepOrContainingItself_IsInternalNamingTheLimit(string target)
    {
        await using var client = fixture.Connect("tcp");
        var args = target.EndsWith("deep", StringComparison.Ordinal) ? new[] { Value.From(10_000) } : [];
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(target, args));
        Assert.Equal(StatusCode.Internal, ex.Code);
        Assert.Contains("nested deeper than 64 levels", ex.Message, StringComparison.Ordinal);
        await fixture.AssertHostServesAsync();
    }

    [Theory]
    [InlineData("py.faulty/hog")]
    [InlineData("cs.faulty/hog")]
    public async Task WorkerOverItsMemoryLimit_IsKilled_CallGetsResourceExhaustedNamingTheLimit(string target)
    {
        await using var client = fixture.Connect("tcp");
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(target, 400, 5.0));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Code);
        Assert.Contains("over its memory limit of 256 MiB", ex.Message, StringComparison.Ordinal);
        await fixture.AssertHostServesAsync();
        Assert.Equal("ok", (await client.CallAsync(target.Split('/')[0] + "/ok")).AsString());
    }

    [Fact]
    public async Task SlowCallOnOneConnection_DoesNotHoldBackAFastOne()
    {
        foreach (var scheme in new[] { "tcp", "grpc" })
        {
            await using var client = fixture.Connect(scheme);
            var slow = client.CallAsync("cs.faulty/sleep", 3.0);
            Assert.Equal("fast", (await client.CallAsync("util.echo", "fast")).AsString());
            Assert.False(slow.IsCompleted, $"over {scheme}, the fast call waited for the slow one");
            Assert.Equal("slept", (await slow).AsString());
        }
    }

    [Fact]
    public async Task ManyBlockingPythonCalls_DoNotHoldBackACSharpModule()
    {
        await using var client = fixture.Connect("tcp");
        var blocking = Enumerable.Range(0, 200).Select(_ => client.CallAsync("py.faulty/sleep", 1.5)).ToArray();
        // The C# module answers while the Python calls still sleep: it does not queue behind them
        // (how fast it answers is measured in BENCHMARKS.md, not asserted here).
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal(i, (await client.CallAsync("util.echo", i)).AsInt());
        }

        Assert.Contains(blocking, call => !call.IsCompleted);
        await Task.WhenAll(blocking);
    }

    private async Task AssertDeadlineAsync(string scheme, string target, params Value[] args)
    {
        await using var client = fixture.Connect(scheme);
        var deadline = TimeSpan.FromMilliseconds(500);
        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync(target, args, null, new ModulusCallOptions(deadline)));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
        Assert.True(stopwatch.Elapsed < deadline + Grace + Slack, $"answered after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        // Past the grace period a call that has not stopped takes its worker down with it (and any
        // other call on that worker): let that happen here, not in the next test.
        await Task.Delay(Grace + TimeSpan.FromMilliseconds(300));
        await fixture.AssertHostServesAsync();
        // The module serves again: the worker stopped the call, or was killed and restarted.
        Assert.Equal("ok", (await client.CallAsync(target.Split('/')[0] + "/ok")).AsString());
    }

    /// <summary>One host for the cases: util.echo (C#), util.pyecho (Python), tensor.moments, and a faulty module in each language.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempTree _tree = new();

        internal TestHost Host { get; private set; } = null!;

        public ModulusClient Connect(string scheme) =>
            ModulusClient.Connect(Host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)), new ModulusClientOptions { DefaultTimeout = TimeSpan.FromSeconds(30) });

        /// <summary>A good C# call and a good Python call succeed over gRPC, TCP and UDP.</summary>
        public async Task AssertHostServesAsync()
        {
            foreach (var scheme in new[] { "grpc", "tcp", "udp" })
            {
                await using var client = Connect(scheme);
                Assert.Equal("c#", (await client.CallAsync("util.echo", "c#")).AsString());
                Assert.Equal("py", (await client.CallAsync("util.pyecho", "py")).AsString());
            }
        }

        public async Task InitializeAsync()
        {
            _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, "util", "echo"), "util/echo");
            _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, "util", "pyecho"), "util/pyecho");
            _tree.CopyFrom(Path.Combine(RepositoryPaths.Modules, "tensor", "moments"), "tensor/moments");
            _tree.AddPython("py/faulty", FaultyPython, """, "limits": { "memory_mb": 256 }""");
            _tree.AddCSharp("cs/faulty", FaultyCSharp, """, "limits": { "memory_mb": 256 }""");
            Host = await TestHost.StartAsync(_tree, runtime: o =>
            {
                // Many crashes on purpose here; the crash loop has its own test.
                o.Workers.CrashLoopCount = 1000;
                o.Workers.CancelGrace = Grace;
                o.Workers.RestartDelay = TimeSpan.FromMilliseconds(50);
            });
            Assert.Empty(Host.Server.Catalog.Faults);
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            _tree.Dispose();
        }
    }

    internal const string FaultyPython = """
        import ctypes
        import os
        import time

        import modulus


        class Faulty(modulus.Module):
            kept = []

            @modulus.endpoint

            def ok(self) -> str:
                return "ok"

            @modulus.endpoint

            def pid(self) -> int:
                return os.getpid()

            @modulus.endpoint

            def exit(self, code: int) -> str:
                os._exit(code)

            @modulus.endpoint

            def segfault(self) -> str:
                return ctypes.string_at(0)

            @modulus.endpoint

            def sleep(self, seconds: float) -> str:
                time.sleep(seconds)
                return "slept"

            @modulus.endpoint

            def spin(self, seconds: float) -> str:
                end = time.time() + seconds
                while time.time() < end:
                    pass
                return "spun"

            @modulus.endpoint

            def selfref(self) -> list:
                items = []
                items.append(items)
                return items

            @modulus.endpoint

            def deep(self, n: int) -> list:
                value = []
                for _ in range(n):
                    value = [value]
                return value

            @modulus.endpoint

            def hog(self, mb: int, hold: float) -> int:
                Faulty.kept.append(b"\x01" * (mb * 1024 * 1024))
                time.sleep(hold)
                return len(Faulty.kept)
        """;

    internal const string FaultyCSharp = """
        public sealed class Faulty : Module
        {
            private static readonly List<byte[]> Kept = new();

            [Endpoint]

            public string Ok() => "ok";

            [Endpoint]

            public string Exit(int code)
            {
                System.Environment.Exit(code);
                return "unreachable";
            }

            [Endpoint]

            public int Recurse(int depth = 0) => Recurse(depth + 1) + 1;

            [Endpoint]

            public string Spin()
            {
                while (true)
                {
                    Thread.SpinWait(1000);
                }
            }

            [Endpoint]

            public async Task<string> Sleep(double seconds, CallContext context)
            {
                await Task.Delay(TimeSpan.FromSeconds(seconds), context.CancellationToken);
                return "slept";
            }

            [Endpoint]

            public Value Deep(int n)
            {
                var value = Value.List(Array.Empty<Value>());
                for (var i = 0; i < n; i++)
                {
                    value = Value.List(new[] { value });
                }

                return value;
            }

            [Endpoint]

            public int Hog(int mb, double hold)
            {
                var block = new byte[mb * 1024 * 1024];
                Array.Fill(block, (byte)1);
                Kept.Add(block);
                Thread.Sleep(TimeSpan.FromSeconds(hold));
                return Kept.Count;
            }
        }
        """;
}
