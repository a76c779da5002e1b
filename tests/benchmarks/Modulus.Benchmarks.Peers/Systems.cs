namespace Modulus.Benchmarks.Peers;

/// <summary>The rows of the tables, and which floor each is measured against.</summary>
internal static class Systems
{
    public const string ModulusTcp = "Modulus TCP";
    public const string ModulusUdp = "Modulus UDP";
    public const string ModulusGrpc = "Modulus gRPC";
    public const string Grpcio = "Python grpcio (asyncio)";
    public const string FastApi = "FastAPI on uvicorn";
    public const string BareTcp = "floor: bare TCP ping-pong";
    public const string BareUdp = "floor: bare UDP ping-pong";
    public const string BareUnix = "floor: bare Unix-socket ping-pong";
    public const string BareGrpc = "floor: bare grpc-dotnet echo";
    public const string BareHttp = "floor: bare Kestrel JSON echo";

    public static bool IsFloor(string system) => system.StartsWith("floor:", StringComparison.Ordinal);

    public static bool IsPeer(string system) => system is Grpcio or FastApi;

    public static string FloorOf(string system) => system switch
    {
        ModulusTcp => BareTcp,
        ModulusUdp => BareUdp,
        ModulusGrpc or Grpcio => BareGrpc,
        FastApi => BareHttp,
        _ => string.Empty,
    };
}
