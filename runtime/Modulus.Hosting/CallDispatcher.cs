using Modulus.Hosting.Payments;
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
internal sealed class CallDispatcher(IModuleInvoker invoker, IModuleCatalog catalog, CallAuthenticator authenticator, PaidModules paidModules, IPaymentGate payments)
{
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

            // PAYMENT HOOK (issue 14). For a module with access.mode "paid": IPaymentGate.AuthorizeAsync
            // checks the request's voucher and holds this call's price BEFORE the module runs (after the
            // call's own signature is verified); CommitAsync stores the voucher durably AFTER the module
            // succeeded and BEFORE the answer is sent; Release gives the hold back when the module failed.
            // The verified payer becomes the caller of an unsigned paid call (the voucher's signature
            // identifies it). When the runtime's invocation pipeline lands, this block moves into it as
            // one step, unchanged in order: signature -> payment authorize -> access/limits/run -> commit.
            var access = paidModules.Of(call.Module);
            if (!access.IsPaid)
            {
                return CallMapper.Success(request.Id, await invoker.InvokeAsync(call, cancellationToken).ConfigureAwait(false));
            }

            var hold = await payments.AuthorizeAsync(new PaidCall(call.Module, call.Endpoint, access.Price, request.Voucher, caller), cancellationToken).ConfigureAwait(false);
            Sdk.Value result;
            try
            {
                result = await invoker.InvokeAsync(call with { Caller = caller ?? hold.Payer }, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                payments.Release(hold);
                throw;
            }

            await payments.CommitAsync(hold, cancellationToken).ConfigureAwait(false);
            return CallMapper.Success(request.Id, result);
        }
        catch (ModulusException ex)
        {
            return CallMapper.Failure(request.Id, ex.Code, ex.Message);
        }
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
            response.Modules.Add(CallMapper.ToMessage(paidModules.Describe(module)));
        }

        foreach (var fault in catalog.Faults)
        {
            response.Faults.Add(new Protocol.V1.ModuleFault { Path = fault.Path, Reason = fault.Reason });
        }

        return response;
    }

    /// <exception cref="ModulusException">NOT_FOUND when the module is not served.</exception>
    public Protocol.V1.ModuleInfo Info(string module) => CallMapper.ToMessage(paidModules.Describe(
        catalog.Find(module) ?? throw new ModulusException(StatusCode.NotFound, $"module \"{module}\" is not served here; `modulus ls` lists the modules this host serves")));
}
