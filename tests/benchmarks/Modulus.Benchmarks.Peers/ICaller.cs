namespace Modulus.Benchmarks.Peers;

/// <summary>One system under test as the load generator calls it: one call, checked.</summary>
internal interface ICaller : IAsyncDisposable
{
    /// <summary>The row name in the tables: "Modulus TCP", "Python grpcio", ...</summary>
    string Name { get; }

    /// <summary>The server process, for its memory and CPU.</summary>
    ServerProcess Server { get; }

    /// <summary>False for cases the system does not serve (a 16 MB tensor over UDP, Python in a floor).</summary>
    bool Serves(Workload work);

    /// <summary>Makes one call and checks the reply.</summary>
    ValueTask CallAsync(Workload work, CancellationToken cancellationToken);
}
