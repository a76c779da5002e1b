using Google.Protobuf;
using Grpc.Net.Client;
using Modulus.Benchmarks.Peers.V1;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// A server of <c>bench.v1.Peer</c> through grpc-dotnet's client on one channel (concurrent calls are
/// HTTP/2 streams on it): the Python grpcio peer, or the bare grpc-dotnet echo floor.
/// </summary>
internal sealed class GrpcPeerCaller : ICaller
{
    private readonly GrpcChannel _channel;
    private readonly Peer.PeerClient _client;
    private readonly bool _echoOnly;

    public GrpcPeerCaller(string name, ServerProcess server, int port, bool echoOnly)
    {
        Name = name;
        Server = server;
        _echoOnly = echoOnly;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        _client = new Peer.PeerClient(_channel);
    }

    public string Name { get; }

    public ServerProcess Server { get; }

    public bool Serves(Workload work) => !_echoOnly || (work.Kind == WorkKind.Echo && !work.Python);

    public async ValueTask CallAsync(Workload work, CancellationToken cancellationToken)
    {
        if (work.Kind == WorkKind.Echo)
        {
            var reply = await _client.EchoAsync(new Text { Text_ = work.Text }, cancellationToken: cancellationToken).ConfigureAwait(false);
            work.Check(Name, reply.Text_, null);
        }
        else
        {
            var request = new Floats { Data = UnsafeByteOperations.UnsafeWrap(work.TensorBytes) };
            request.Shape.Add(work.TensorBytes.Length / sizeof(float));
            var reply = await _client.SumAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            work.Check(Name, null, reply.Value);
        }
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
