using System.Net;
using System.Net.Sockets;
using Modulus.Protocol;
using Modulus.Protocol.V1;
using Modulus.Sdk;
using Modulus.Testing;
using StatusCode = Modulus.Sdk.StatusCode;
using Value = Modulus.Sdk.Value;

namespace Modulus.Client.Tests;

/// <summary>
/// The client's side of a TCP host closing a connection of its own accord. A scripted peer on a real
/// loopback socket stands in for the host so that the close can land exactly where a real host's
/// idle timeout lands by chance: after the caller sent its request, before the host read it.
/// </summary>
public sealed class GoAwayTests
{
    [Fact]
    public async Task RequestAnsweredWithAGoAway_IsSentAgainOnANewConnection_AndAnswered()
    {
        await using var peer = new ScriptedPeer(
            request => Reply.GoAway("the connection was idle for 1 s with no call in flight"),
            request => Reply.Answer(CallMapper.Success(request.Id, Value.From("served"))));
        await using var client = ModulusClient.Connect($"tcp://127.0.0.1:{peer.Port}");

        Assert.Equal("served", (await client.CallAsync("util.echo", "x")).AsString());

        // The same request, id and all, once on each connection.
        Assert.Equal(2, peer.Requests.Count);
        Assert.Equal(peer.Requests[0].Id, peer.Requests[1].Id);
        Assert.Equal(peer.Requests[0].CallRequest, peer.Requests[1].CallRequest);
    }

    [Fact]
    public async Task StreamAnsweredWithAGoAway_IsSentAgain_AndStreams()
    {
        await using var peer = new ScriptedPeer(
            request => Reply.GoAway("idle"),
            request => Reply.Answer(CallMapper.Item(request.Id, Value.From("a")), CallMapper.Item(request.Id, Value.From("b")), CallMapper.End(request.Id, 2)));
        await using var client = ModulusClient.Connect($"tcp://127.0.0.1:{peer.Port}");

        var items = new List<string>();
        await foreach (var item in client.StreamAsync("util.echo", Value.From("x")))
        {
            items.Add(item.AsString());
        }

        Assert.Equal(["a", "b"], items);
        Assert.Equal(2, peer.Requests.Count);
    }

    [Fact]
    public async Task ConnectionClosedWithoutAGoAway_FailsUnavailable_AndIsNotSentAgain()
    {
        // The host may have run it: sending it again could run it twice.
        await using var peer = new ScriptedPeer(
            request => Reply.Close(),
            request => Reply.Answer(CallMapper.Success(request.Id, Value.From("twice"))));
        await using var client = ModulusClient.Connect($"tcp://127.0.0.1:{peer.Port}");

        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("util.echo", "x"));

        Assert.Equal(StatusCode.Unavailable, ex.Code);
        Assert.Single(peer.Requests);
    }

    [Fact]
    public async Task HostThatAlwaysGoesAway_FailsUnavailable_WithItsReason_AfterThreeTries()
    {
        await using var peer = new ScriptedPeer(
            request => Reply.GoAway("the host refused the connection: its address already holds 40 connections (Modulus:MaxConnectionsPerAddress)"),
            request => Reply.GoAway("the host refused the connection: its address already holds 40 connections (Modulus:MaxConnectionsPerAddress)"),
            request => Reply.GoAway("the host refused the connection: its address already holds 40 connections (Modulus:MaxConnectionsPerAddress)"),
            request => Reply.Answer(CallMapper.Success(request.Id, Value.From("fourth"))));
        await using var client = ModulusClient.Connect($"tcp://127.0.0.1:{peer.Port}");

        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("util.echo", "x"));

        Assert.Equal(StatusCode.Unavailable, ex.Code);
        Assert.Contains("Modulus:MaxConnectionsPerAddress", ex.Message);
        Assert.Equal(3, peer.Requests.Count);
    }

    /// <summary>What the scripted peer does with the one request it reads on a connection.</summary>
    private sealed record Reply(IReadOnlyList<Envelope> Frames, bool Stay)
    {
        public static Reply GoAway(string reason) => new([new Envelope { GoAway = new GoAway { Reason = reason } }], Stay: false);

        public static Reply Close() => new([], Stay: false);

        public static Reply Answer(params CallResponse[] responses) => new([.. responses.Select(r => new Envelope { Id = r.Id, CallResponse = r })], Stay: true);
    }

    /// <summary>Accepts connections in turn; on the n-th, reads one request and follows the n-th script.</summary>
    private sealed class ScriptedPeer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(30));
        private readonly Task _serving;
        private readonly List<Socket> _kept = [];

        public ScriptedPeer(params Func<Envelope, Reply>[] script)
        {
            _listener.Start();
            _serving = ServeAsync(script);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public List<Envelope> Requests { get; } = [];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _serving;
            }
            catch (OperationCanceledException)
            {
            }

            _kept.ForEach(s => s.Dispose());
            _stop.Dispose();
        }

        private async Task ServeAsync(Func<Envelope, Reply>[] script)
        {
            foreach (var step in script)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var request = await RawTcp.ReadEnvelopeAsync(socket, _stop.Token);
                lock (Requests)
                {
                    Requests.Add(request);
                }

                var reply = step(request);
                foreach (var frame in reply.Frames)
                {
                    await socket.SendAsync(RawTcp.Frame(frame), SocketFlags.None, _stop.Token);
                }

                if (reply.Stay)
                {
                    _kept.Add(socket);
                }
                else
                {
                    socket.Shutdown(SocketShutdown.Both);
                    socket.Dispose();
                }
            }
        }
    }
}
