using Modulus.Protocol.V1;

namespace Modulus.Client.Internal;

/// <summary>One way of carrying <c>modulus.v1</c> messages to a host.</summary>
internal interface IModulusTransport : IAsyncDisposable
{
    /// <summary>Sends a request and returns its response; failures are <see cref="Modulus.Sdk.ModulusException"/>.</summary>
    Task<CallResponse> CallAsync(CallRequest request, DateTime deadlineUtc, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a request for a streamed answer and yields its messages in order: items, then the end.
    /// Failures, the call's error included, are <see cref="Modulus.Sdk.ModulusException"/>. Leaving
    /// the enumeration early stops the call on the host.
    /// </summary>
    IAsyncEnumerable<CallResponse> StreamAsync(CallRequest request, DateTime deadlineUtc, CancellationToken cancellationToken);

    Task<ListModulesResponse> ListAsync(CancellationToken cancellationToken);

    Task<ModuleInfo> InfoAsync(string module, CancellationToken cancellationToken);

    /// <summary>The signing handshake: the host's identity, signed over the challenge.</summary>
    Task<HostInfo> HostInfoAsync(HostInfoRequest request, CancellationToken cancellationToken);
}
