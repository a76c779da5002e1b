using System.Diagnostics;
using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// Three real hosts, each `modulus serve` in its own process, and a host killed (SIGKILL) while it
/// runs a call: an endpoint marked idempotent is answered by another host; any other endpoint's
/// call fails with an error that says it may have run, and no other host runs it.
/// </summary>
public sealed class IdempotentFailoverTests : IAsyncLifetime
{
    private const string Module = "fail.slow";

    // Each call appends the folder of the host that runs it to the marker file, then takes a while,
    // so that the test can kill that host while the call is in flight.
    private const string Source = """
        import time
        import modulus

        class Slow(modulus.Module):
            @modulus.endpoint(idempotent=True)
            def lookup(self, marker: str, text: str) -> str:
                return self._run(marker, text)

            @modulus.endpoint
            def append(self, marker: str, text: str) -> str:
                return self._run(marker, text)

            def _run(self, marker, text):
                with open(marker, "a") as f:
                    f.write(self.directory + "\n")
                time.sleep(1.5)
                return self.directory + "|" + text
        """;

    private readonly List<TempTree> _trees = [];
    private readonly List<ServeChild> _hosts = [];
    private readonly TempTree _markers = new();

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            var tree = new TempTree();
            _trees.Add(tree);
            tree.AddPython("slow", Source, manifestExtra: $", \"name\": \"{Module}\"");
        }

        _hosts.AddRange(await Task.WhenAll(_trees.Select(t => ServeChild.StartAsync(t))));
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        foreach (var tree in _trees)
        {
            tree.Dispose();
        }

        _markers.Dispose();
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("tcp")]
    public async Task HostKilledMidCall_IdempotentEndpoint_IsAnsweredByAnotherHost(string transport)
    {
        await using var client = ModulusFailoverClient.Connect(_hosts.Select(h => h.Address(transport)).ToArray());
        var marker = Path.Combine(_markers.Root, "lookup");

        var call = client.CallAsync($"{Module}/lookup", [Value.From(marker), Value.From("hello")], null, new ModulusCallOptions(TimeSpan.FromSeconds(30)));
        var killed = await KillTheHostRunningAsync(marker);

        var (folder, text) = Split((await call).AsString());
        Assert.Equal("hello", text);
        Assert.DoesNotContain(_trees[killed].Root, folder, StringComparison.Ordinal);
        // Started on the killed host, then run again (once) on the host that answered.
        var started = await File.ReadAllLinesAsync(marker);
        Assert.Equal(2, started.Length);
        Assert.StartsWith(_trees[killed].Root, started[0], StringComparison.Ordinal);
        Assert.Equal(folder, started[1]);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("tcp")]
    public async Task HostKilledMidCall_EndpointNotMarkedIdempotent_FailsSayingItMayHaveRun_AndRunsNowhereElse(string transport)
    {
        await using var client = ModulusFailoverClient.Connect(_hosts.Select(h => h.Address(transport)).ToArray());
        var marker = Path.Combine(_markers.Root, "append");

        var call = client.CallAsync($"{Module}/append", [Value.From(marker), Value.From("once")], null, new ModulusCallOptions(TimeSpan.FromSeconds(30)));
        var killed = await KillTheHostRunningAsync(marker);

        var error = await Assert.ThrowsAsync<ModulusException>(() => call);
        Assert.Equal(StatusCode.Unavailable, error.Code);
        Assert.Contains($"may have run on {_hosts[killed].Address(transport)}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not marked idempotent", error.Message, StringComparison.Ordinal);

        // Give any resend the time it would need to show up: the call ran once, on the killed host.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var started = await File.ReadAllLinesAsync(marker);
        Assert.StartsWith(_trees[killed].Root, Assert.Single(started), StringComparison.Ordinal);

        // The next call goes to a host that is up.
        var (_, text) = Split((await client.CallAsync($"{Module}/append", Value.From(marker + ".next"), Value.From("next"))).AsString());
        Assert.Equal("next", text);
    }

    /// <summary>Waits until a host has started the call (its folder in the marker file), then kills that host's process.</summary>
    private async Task<int> KillTheHostRunningAsync(string marker)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (File.Exists(marker) && (await File.ReadAllTextAsync(marker)).Split('\n', StringSplitOptions.RemoveEmptyEntries) is [var folder, ..])
            {
                var index = _trees.FindIndex(t => folder.StartsWith(t.Root, StringComparison.Ordinal));
                Assert.True(index >= 0, $"the call ran in {folder}, in none of the hosts' trees");
                _hosts[index].Kill();
                return index;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("no host started the call within 30 s");
    }

    private static (string Folder, string Text) Split(string result) => (result.Split('|')[0], result.Split('|')[1]);

    /// <summary>`modulus serve` as its own process, so that it can be killed like a crashed host.</summary>
    private sealed class ServeChild(CliChild child) : IAsyncDisposable
    {
        private readonly string[] _addresses = child.ReadyLine.Split(' ').Where(w => w.Contains("://", StringComparison.Ordinal)).ToArray();

        public string Address(string scheme) => _addresses.Single(a => a.StartsWith(scheme + "://", StringComparison.Ordinal));

        public static async Task<ServeChild> StartAsync(TempTree tree)
        {
            // A home of the test's own: host key and compile cache, never the user's.
            var child = await CliChild.StartAsync(
                ["serve", tree.Root, "--grpc-port", "0", "--tcp-port", "0", "--udp-port", "0", "--http-port", "0", "--no-watch"],
                "Serving ",
                TimeSpan.FromSeconds(90),
                new Dictionary<string, string> { ["MODULUS_HOME"] = tree.CacheDirectory });
            Assert.StartsWith("Serving 1 modules", child.ReadyLine, StringComparison.Ordinal);
            return new ServeChild(child);
        }

        /// <summary>SIGKILL: no shutdown code runs, as in a crash or a power cut.</summary>
        public void Kill() => child.Kill();

        public ValueTask DisposeAsync() => child.DisposeAsync();
    }
}
