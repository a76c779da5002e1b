using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Modulus.Hosting.Internal;

/// <summary>The listen options of each transport, read back after binding for the ports chosen (0 picks a free one).</summary>
internal sealed class ModulusListeners
{
    public ListenOptions? Grpc { get; set; }

    public ListenOptions? Tcp { get; set; }

    public ListenOptions? Http { get; set; }
}
