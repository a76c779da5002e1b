using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// Streamed answers through a real host and real sockets, from C# (IAsyncEnumerable) and Python
/// (generator) modules in their workers and from an in-process C# module: items arrive in order
/// over gRPC and TCP, UDP refuses, an error after some items reaches the caller, and a caller that
/// stops reading, cancels or runs out of time stops the module's producer.
/// </summary>
public sealed class StreamingTests(StreamingTests.Fixture fixture) : IClassFixture<StreamingTests.Fixture>
{
    public static TheoryData<string, string> Streams => new()
    {
        { "grpc", "cs.stream" }, { "tcp", "cs.stream" },
        { "grpc", "py.stream" }, { "tcp", "py.stream" },
        { "grpc", "inproc.stream" }, { "tcp", "inproc.stream" },
    };

    public static TheoryData<string> Modules => new() { "cs.stream", "py.stream", "inproc.stream" };

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task StreamingEndpoint_ItemsArriveInOrder_AndInfoSaysItStreams(string scheme, string module)
    {
        await using var client = fixture.Connect(scheme);
        var items = new List<long>();
        await foreach (var item in client.StreamAsync($"{module}/count", 500))
        {
            items.Add(item.AsInt());
        }

        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), items);
        var count = (await client.InfoAsync(module)).Endpoints.Single(e => e.Name == "count");
        Assert.True(count.Streaming);
        Assert.Equal("count(n: int) -> stream[int]", count.Signature);
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task StreamingEndpoint_CalledForOneValue_AnswersWithTheListOfItems_OnEveryTransport(string module)
    {
        foreach (var scheme in new[] { "grpc", "tcp" })
        {
            await using var client = fixture.Connect(scheme);
            Assert.Equal([0L, 1L, 2L], (await client.CallAsync($"{module}/count", 3)).AsList().Select(v => v.AsInt()));
        }
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("tcp")]
    public async Task OneValueEndpoint_CalledAsAStream_AnswersWithOneItem(string scheme)
    {
        await using var client = fixture.Connect(scheme);
        var items = new List<Value>();
        await foreach (var item in client.StreamAsync("cs.stream/plain", "x"))
        {
            items.Add(item);
        }

        Assert.Equal(["x!"], items.Select(i => i.AsString()));
    }

    [Fact]
    public async Task Udp_RefusesAStream_NamingTcpAndGrpc_OnTheClientAndOnTheHost()
    {
        await using var client = fixture.Connect("udp");
        var asked = await Assert.ThrowsAsync<ModulusException>(async () =>
        {
            await foreach (var _ in client.StreamAsync("cs.stream/count", 3))
            {
            }
        });
        Assert.Equal(StatusCode.FailedPrecondition, asked.Code);
        Assert.Contains("TCP or gRPC", asked.Message, StringComparison.Ordinal);

        // A plain call of a streaming endpoint reaches the host, which refuses it for UDP.
        var plain = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("py.stream/count", 3));
        Assert.Equal(StatusCode.FailedPrecondition, plain.Code);
        Assert.Contains("py.stream/count answers with a stream", plain.Message, StringComparison.Ordinal);
        Assert.Contains("TCP or gRPC", plain.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task ModuleFailsAfterSomeItems_TheCallerGetsThemThenTheError(string scheme, string module)
    {
        await using var client = fixture.Connect(scheme);
        var items = new List<long>();
        var ex = await Assert.ThrowsAsync<ModulusException>(async () =>
        {
            await foreach (var item in client.StreamAsync($"{module}/fail_after", 4))
            {
                items.Add(item.AsInt());
            }
        });
        Assert.Equal([0L, 1L, 2L, 3L], items);
        Assert.Contains("failed after 4 items", ex.Message, StringComparison.Ordinal);
        // The connection and the module serve on.
        Assert.Equal([0L, 1L], (await client.CallAsync($"{module}/count", 2)).AsList().Select(v => v.AsInt()));
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task CallerStopsReading_TheProducerStops(string scheme, string module)
    {
        await using var client = fixture.Connect(scheme);
        var tag = $"stop-{scheme}-{Guid.NewGuid():N}";
        var read = 0;
        await foreach (var _ in client.StreamAsync($"{module}/tick", tag))
        {
            if (++read == 3)
            {
                break;
            }
        }

        await AssertStoppedAsync(client, module, tag);
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task DeadlinePasses_CallerGetsDeadlineExceeded_AndTheProducerStops(string scheme, string module)
    {
        await using var client = fixture.Connect(scheme);
        var tag = $"deadline-{scheme}-{Guid.NewGuid():N}";
        var read = 0;
        var ex = await Assert.ThrowsAsync<ModulusException>(async () =>
        {
            await foreach (var _ in client.StreamAsync($"{module}/tick", [Value.From(tag)], null, new ModulusCallOptions(TimeSpan.FromMilliseconds(700))))
            {
                read++;
            }
        });
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
        Assert.True(read > 0, "no item arrived before the deadline");
        await AssertStoppedAsync(client, module, tag);
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task CallerCancels_TheProducerStops(string scheme, string module)
    {
        await using var client = fixture.Connect(scheme);
        var tag = $"cancel-{scheme}-{Guid.NewGuid():N}";
        using var cancel = new CancellationTokenSource();
        var read = 0;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in client.StreamAsync($"{module}/tick", [Value.From(tag)], null, null, cancel.Token))
            {
                if (++read == 2)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        await AssertStoppedAsync(client, module, tag);
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public async Task SlowReader_HoldsTheProducerBack(string scheme, string module)
    {
        // A producer with no pause of its own: while its caller reads nothing, it must wait rather
        // than fill the host's memory.
        await using var client = fixture.Connect(scheme);
        // On TCP a stream nobody reads holds back its connection too (the README says so): ask on another.
        await using var probe = fixture.Connect(scheme);
        var tag = $"flood-{scheme}-{Guid.NewGuid():N}";
        // The stream's deadline covers the whole test: the wait for the count to settle and the 32 MB read after it.
        await using var items = client.StreamAsync($"{module}/flood", [Value.From(tag)], null, new ModulusCallOptions(TimeSpan.FromMinutes(2))).GetAsyncEnumerator();
        Assert.True(await items.MoveNextAsync());
        // It runs on until the buffers on the way (the worker link's window, the transport's queue,
        // HTTP/2's window, the sockets') are full, then waits: its count stops.
        await AssertStoppedAsync(probe, module, tag);
        // Reading on lets it go on.
        for (var i = 0; i < 500; i++)
        {
            Assert.True(await items.MoveNextAsync());
        }

        Assert.True((await probe.CallAsync($"{module}/produced", tag)).AsInt() >= 500);
    }

    /// <summary>The module made no more items of <paramref name="tag"/>'s stream over the last stretch of time.</summary>
    private static async Task AssertStoppedAsync(ModulusClient client, string module, string tag)
    {
        // The stop reaches the producer within an item or two; then its count stays still.
        var (before, after) = await Eventually.WaitForAsync(
            async () =>
            {
                var now = (await client.CallAsync($"{module}/produced", tag)).AsInt();
                await Task.Delay(300);
                return (now, (await client.CallAsync($"{module}/produced", tag)).AsInt());
            },
            counts => counts.Item1 == counts.Item2,
            TimeSpan.FromSeconds(20));
        Assert.True(before == after, $"{module} went on producing: {before}, then {after} items");
        Assert.True(after > 0);
        await Task.Delay(300);
        Assert.Equal(after, (await client.CallAsync($"{module}/produced", tag)).AsInt());
    }

    /// <summary>One host: the same streaming module in C# (in a worker and in process) and in Python.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly TempTree _tree = new();

        internal TestHost Host { get; private set; } = null!;

        public ModulusClient Connect(string scheme) =>
            ModulusClient.Connect(Host.Addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal)), new ModulusClientOptions { DefaultTimeout = TimeSpan.FromSeconds(30) });

        public async Task InitializeAsync()
        {
            _tree.AddCSharp("cs/stream", CSharpStream);
            _tree.AddCSharp("inproc/stream", CSharpStream, """, "isolation": "inprocess" """);
            _tree.AddPython("py/stream", PythonStream);
            Host = await TestHost.StartAsync(_tree);
            Assert.Empty(Host.Server.Catalog.Faults);
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            _tree.Dispose();
        }
    }

    private const string CSharpStream = """
        using System.Collections.Concurrent;
        using System.Runtime.CompilerServices;

        public sealed class Streams : Module
        {
            private static readonly ConcurrentDictionary<string, long> Produced = new();

            [Endpoint]
            public async IAsyncEnumerable<long> Count(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    yield return i;
                }

                await Task.CompletedTask;
            }

            [Endpoint]
            public string Plain(string text) => text + "!";

            [Endpoint("fail_after")]
            public async IAsyncEnumerable<long> FailAfter(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    yield return i;
                }

                await Task.CompletedTask;
                throw new InvalidOperationException($"failed after {n} items");
            }

            [Endpoint]
            public async IAsyncEnumerable<long> Tick(string tag, [EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                for (long i = 0; ; i++)
                {
                    Produced.AddOrUpdate(tag, 1, (_, c) => c + 1);
                    yield return i;
                    await Task.Delay(20, cancellationToken);
                }
            }

            // Items of 64 KiB: the buffers on the way (sockets, windows) fill within a few hundred,
            // so the test sees the producer held back in moments rather than after megabytes of tiny items.
            private static readonly string Block = new('x', 65536);

            [Endpoint]
            public async IAsyncEnumerable<string> Flood(string tag)
            {
                for (long i = 0; ; i++)
                {
                    Produced.AddOrUpdate(tag, 1, (_, c) => c + 1);
                    yield return Block;
                }
            }

            [Endpoint("produced")]
            public long ProducedCount(string tag) => Produced.GetValueOrDefault(tag);
        }
        """;

    private const string PythonStream = """
        import time
        import typing

        import modulus

        PRODUCED = {}


        class Streams(modulus.Module):
            @modulus.endpoint
            def count(self, n: int) -> typing.Iterator[int]:
                for i in range(n):
                    yield i

            @modulus.endpoint
            def fail_after(self, n: int) -> typing.Iterator[int]:
                for i in range(n):
                    yield i
                raise RuntimeError(f"failed after {n} items")

            @modulus.endpoint
            def tick(self, tag: str) -> typing.Iterator[int]:
                i = 0
                while True:
                    PRODUCED[tag] = PRODUCED.get(tag, 0) + 1
                    yield i
                    i += 1
                    time.sleep(0.02)

            @modulus.endpoint
            def flood(self, tag: str) -> typing.Iterator[str]:
                block = "x" * 65536  # 64 KiB items fill the buffers on the way quickly
                while True:
                    PRODUCED[tag] = PRODUCED.get(tag, 0) + 1
                    yield block

            @modulus.endpoint
            def produced(self, tag: str) -> int:
                return PRODUCED.get(tag, 0)
        """;
}
