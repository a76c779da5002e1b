using Modulus.Client;

namespace Modulus.Benchmarks.Peers;

/// <summary>A Modulus host through the Modulus client over one transport; calls share one client (one connection).</summary>
internal sealed class ModulusCaller(string name, ServerProcess server, string address) : ICaller
{
    private readonly ModulusClient _client = ModulusClient.Connect(address);

    public string Name => name;

    public string Address => address;

    public ServerProcess Server => server;

    public bool Serves(Workload work) => !address.StartsWith("udp:", StringComparison.Ordinal) || work.FitsDatagram;

    public async ValueTask CallAsync(Workload work, CancellationToken cancellationToken)
    {
        var result = await _client.CallAsync(work.Module, [work.ModulusValue], null, null, cancellationToken).ConfigureAwait(false);
        if (work.Kind == WorkKind.Echo)
        {
            work.Check(name, result.AsString(), null);
        }
        else
        {
            work.Check(name, null, result.AsFloat());
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
