using Modulus.Protocol;
using Modulus.Protocol.Payments;
using Modulus.Protocol.V1;
using Modulus.Runtime;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Hosting;

/// <summary>
/// Answers requests the same way whatever transport carried them: every transport hands its
/// messages here, so a call gives the same result and the same error over gRPC, TCP and UDP.
/// </summary>
internal sealed class CallDispatcher(IModuleInvoker invoker, IModuleCatalog catalog, CallAuthenticator authenticator, Runtime.Catalog.ModuleCatalog modules, IPaymentGate payments)
{
    /// <summary>
    /// The refusal of a call request over its module's own size limit, decided from its first bytes
    /// before it is parsed; null when it is within the limit or its module cannot be read there.
    /// </summary>
    /// <param name="payload">The frame, datagram or gRPC message.</param>
    /// <param name="inEnvelope">True for TCP and UDP (an envelope), false for gRPC (a bare call request).</param>
    public ModulusException? RefuseOversized(System.Buffers.ReadOnlySequence<byte> payload, bool inEnvelope)
    {
        if (Protocol.Framing.EnvelopeReader.PeekModule(payload, inEnvelope) is { } module
            && modules.MaxRequestBytes(module) is { } limit
            && payload.Length > limit)
        {
            return Runtime.Invocation.Steps.RequestSizeStep.Refusal(module, payload.Length, limit);
        }

        return null;
    }

    /// <summary>Runs a call; failures come back as <see cref="CallResponse.Error"/>, never as exceptions.</summary>
    /// <param name="request">The call.</param>
    /// <param name="peer">The caller's IP address as the transport saw it.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away.</param>
    public async Task<CallResponse> CallAsync(CallRequest request, string? peer, CancellationToken cancellationToken)
    {
        try
        {
            var caller = CallAuthenticator.IsSigned(request) ? authenticator.Verify(request) : null;
            var call = CallMapper.FromMessage(request) with { Caller = caller, Peer = peer };

            // A paid call's voucher travels with it; the invocation pipeline's payment step checks it.
            return CallMapper.Success(request.Id, await invoker.InvokeAsync(call, cancellationToken).ConfigureAwait(false));
        }
        catch (ModulusException ex)
        {
            return CallMapper.Failure(request.Id, ex.Code, ex.Message);
        }
    }

    /// <summary>
    /// Runs a call whose answer is a stream (<c>CallRequest.stream</c>): each item goes to
    /// <paramref name="items"/> as the module makes it, and the answer returned is the stream's last
    /// message, its end or its error, never an exception.
    /// </summary>
    /// <param name="request">The call.</param>
    /// <param name="peer">The caller's IP address as the transport saw it.</param>
    /// <param name="items">Takes each item; awaiting it is the back-pressure on the module.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away: the module's producer stops.</param>
    public async Task<CallResponse> StreamAsync(CallRequest request, string? peer, StreamItemWriter items, CancellationToken cancellationToken)
    {
        ulong count = 0;
        try
        {
            var caller = CallAuthenticator.IsSigned(request) ? authenticator.Verify(request) : null;
            var call = CallMapper.FromMessage(request) with
            {
                Caller = caller,
                Peer = peer,
                Stream = async (item, ct) =>
                {
                    await items(item, ct).ConfigureAwait(false);
                    count++;
                },
            };
            await invoker.InvokeAsync(call, cancellationToken).ConfigureAwait(false);
            return CallMapper.End(request.Id, count);
        }
        catch (ModulusException ex)
        {
            return CallMapper.Failure(request.Id, ex.Code, ex.Message);
        }
    }

    /// <summary>
    /// The refusal of a stream over a transport that cannot carry one (UDP: one datagram per
    /// answer), for a call that asks for a stream or whose endpoint streams; null when there is none.
    /// </summary>
    public ModulusException? RefuseStream(CallRequest request, string transport)
    {
        var (module, endpoint) = (request.Module, string.IsNullOrEmpty(request.Endpoint) ? ModuleCall.DefaultEndpoint : request.Endpoint);
        var streams = request.Stream || (catalog.Find(module)?.Endpoints.FirstOrDefault(e => e.Name == endpoint)?.Streaming ?? false);
        return streams
            ? new ModulusException(StatusCode.FailedPrecondition,
                $"{module}/{endpoint} answers with a stream, which {transport} cannot carry (one datagram per answer): call it over TCP or gRPC (tcp://… or grpc://…, `modulus call … --stream`)")
            : null;
    }

    /// <summary>Answers one envelope of the raw transports with an envelope of the same id.</summary>
    public async Task<Envelope> AnswerAsync(Envelope request, string? peer, CancellationToken cancellationToken)
    {
        var response = new Envelope { Id = request.Id };
        switch (request.BodyCase)
        {
            case Envelope.BodyOneofCase.CallRequest:
                request.CallRequest.Id = request.Id;
                response.CallResponse = await CallAsync(request.CallRequest, peer, cancellationToken).ConfigureAwait(false);
                break;
            case Envelope.BodyOneofCase.ListRequest:
                response.ListResponse = List();
                break;
            case Envelope.BodyOneofCase.InfoRequest:
                try
                {
                    response.InfoResponse = Info(request.InfoRequest.Module);
                }
                catch (ModulusException ex)
                {
                    response.Error = new Error { Code = (int)ex.Code, Message = CallMapper.BoundMessage(ex.Message) };
                }

                break;
            case Envelope.BodyOneofCase.HostRequest:
                try
                {
                    response.HostResponse = HostInfo(request.HostRequest);
                }
                catch (ModulusException ex)
                {
                    response.Error = new Error { Code = (int)ex.Code, Message = ex.Message };
                }

                break;
            default:
                response.Error = new Error
                {
                    Code = (int)StatusCode.InvalidArgument,
                    Message = $"an envelope sent to a host must carry a call, list, info or host request, not {request.BodyCase}",
                };
                break;
        }

        return response;
    }

    /// <summary>The host's identity, signed over the caller's challenge.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT for a challenge of the wrong size.</exception>
    public HostInfo HostInfo(HostInfoRequest request)
    {
        var info = authenticator.Handshake(request);
        info.Escrow = payments.Escrow ?? string.Empty;
        return info;
    }

    public ListModulesResponse List()
    {
        var response = new ListModulesResponse();
        foreach (var module in catalog.Modules)
        {
            response.Modules.Add(CallMapper.ToMessage(module));
        }

        foreach (var fault in catalog.Faults)
        {
            response.Faults.Add(new Protocol.V1.ModuleFault { Path = fault.Path, Reason = fault.Reason });
        }

        response.Loading.AddRange(catalog.Loading);

        return response;
    }

    /// <exception cref="ModulusException">Why the module is not served (<see cref="Runtime.Catalog.ModuleCatalog.NotServed"/>).</exception>
    public Protocol.V1.ModuleInfo Info(string module) => CallMapper.ToMessage(catalog.Find(module) ?? throw modules.NotServed(module));
}
