using System.Net;
using System.Net.Sockets;
using Modulus.Client;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>UDP through a proxy that drops datagrams both ways: every call still gets its one answer, run once.</summary>
public class UdpLossTests
{
    private const string Counter = """
        using System.Collections.Concurrent;

        public sealed class Counter : Module
        {
            private static readonly ConcurrentDictionary<string, int> Runs = new();

            public string Forward(string key)
            {
                Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
                return key.ToUpperInvariant();
            }

            [Endpoint]
            public int Runs_(string key) => Runs.TryGetValue(key, out var n) ? n : 0;
        }
        """;

    [Fact]
    public async Task Calls_UnderLoss_EachReturnOnce_AndRunTheModuleOnce()
    {
        using var tree = new TempTree();
        tree.AddCSharp("counter", Counter);
        await using var host = await TestHost.StartAsync(tree);
        var udp = new Uri(host.Addresses.Single(a => a.StartsWith("udp://", StringComparison.Ordinal)));
        await using var proxy = new LossyUdpProxy(new IPEndPoint(IPAddress.Loopback, udp.Port), dropEvery: 3);
        await using var client = ModulusClient.Connect($"udp://127.0.0.1:{proxy.Port}");

        var keys = Enumerable.Range(0, 60).Select(i => $"key-{i}").ToArray();
        var results = new List<string>();
        foreach (var batch in keys.Chunk(10))
        {
            var answers = await Task.WhenAll(batch.Select(k => client.CallAsync("counter", [k], null, new ModulusCallOptions(TimeSpan.FromSeconds(20)))));
            results.AddRange(answers.Select(a => a.AsString()));
        }

        Assert.Equal(keys.Select(k => k.ToUpperInvariant()), results);
        Assert.True(proxy.Dropped >= 20, $"the proxy dropped only {proxy.Dropped} datagrams; the test did not exercise loss");
        foreach (var key in keys)
        {
            Assert.Equal(1, (await host.Client.CallAsync("counter/runs_", key)).AsInt());
        }
    }

    /// <summary>Forwards datagrams between one client and a host, dropping every n-th in each direction.</summary>
    private sealed class LossyUdpProxy : IAsyncDisposable
    {
        private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _forward;
        private readonly Task _backward;
        private EndPoint? _client;
        private int _dropped;

        public LossyUdpProxy(IPEndPoint host, int dropEvery)
        {
            _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _back.Connect(host);
            Port = ((IPEndPoint)_front.LocalEndPoint!).Port;
            _forward = PumpAsync(dropEvery, toHost: true);
            _backward = PumpAsync(dropEvery, toHost: false);
        }

        public int Port { get; }

        public int Dropped => Volatile.Read(ref _dropped);

        private async Task PumpAsync(int dropEvery, bool toHost)
        {
            var buffer = new byte[65536];
            var seen = 0;
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    int length;
                    if (toHost)
                    {
                        var received = await _front.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                        _client = received.RemoteEndPoint;
                        length = received.ReceivedBytes;
                    }
                    else
                    {
                        length = await _back.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    }

                    if (++seen % dropEvery == 0)
                    {
                        Interlocked.Increment(ref _dropped);
                        continue;
                    }

                    if (toHost)
                    {
                        await _back.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, _stop.Token);
                    }
                    else if (_client is { } client)
                    {
                        await _front.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, client, _stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _front.Dispose();
            _back.Dispose();
            await Task.WhenAll(_forward, _backward).ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Dispose();
        }
    }
}
