using Modulus.Client;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// A Modulus host through a client of its own (one connection) calling one module with the client's
/// access options: unsigned, signed (<see cref="ModulusClientOptions.Signer"/>) or paid
/// (<see cref="ModulusClientOptions.Payment"/>). Counts the calls answered, so the host's ledger can
/// be checked against them.
/// </summary>
internal sealed class AccessCaller(string name, ServerProcess server, string address, string module, ModulusClientOptions clientOptions) : ICaller
{
    private readonly ModulusClient _client = ModulusClient.Connect(address, clientOptions);
    private long _answered;

    public string Name => name;

    public string Module => module;

    public ServerProcess Server => server;

    /// <summary>Calls answered with the right reply so far.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    public bool Serves(Workload work) => work.Kind == WorkKind.Echo && !work.Python;

    public async ValueTask CallAsync(Workload work, CancellationToken cancellationToken)
    {
        var result = await _client.CallAsync(module, [work.ModulusValue], null, null, cancellationToken).ConfigureAwait(false);
        work.Check(name, result.AsString(), null);
        Interlocked.Increment(ref _answered);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
