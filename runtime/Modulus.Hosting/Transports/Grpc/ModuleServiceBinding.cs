using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Hosting.Transports.Grpc;

/// <summary>
/// <c>modulus.v1.ModuleService</c> as the host serves it. The generated base reads a
/// <see cref="CallRequest"/> with protobuf's defaults before the service sees it, so a value nested
/// deeper than about 49 levels, or a string that is not UTF-8, failed as gRPC's UNKNOWN. Bound here
/// instead (grpc-dotnet finds <see cref="ModuleServiceBinding.BindService"/> through the attribute,
/// and server reflection finds <see cref="ModuleServiceBinding.Descriptor"/> the same way), a call
/// request is read by <see cref="EnvelopeReader.ReadCallRequest"/>, the rule TCP and UDP apply,
/// and one that breaks it reaches the service as a refusal with its id.
/// </summary>
[BindServiceMethod(typeof(ModuleServiceBinding), nameof(ModuleServiceBinding.BindService))]
internal abstract class ModuleServiceEndpoints
{
    public abstract Task<CallResponse> Call(CallRequestRead request, ServerCallContext context);

    public abstract Task CallStream(IAsyncStreamReader<CallRequestRead> requestStream, IServerStreamWriter<CallResponse> responseStream, ServerCallContext context);

    public abstract Task StreamCall(CallRequestRead request, IServerStreamWriter<CallResponse> responseStream, ServerCallContext context);

    public abstract Task<ListModulesResponse> ListModules(ListModulesRequest request, ServerCallContext context);

    public abstract Task<Protocol.V1.ModuleInfo> GetModuleInfo(GetModuleInfoRequest request, ServerCallContext context);

    public abstract Task<HostInfo> GetHostInfo(HostInfoRequest request, ServerCallContext context);
}

/// <summary>The methods of <c>modulus.v1.ModuleService</c>, with the host's reader for call requests.</summary>
internal static class ModuleServiceBinding
{
    private static readonly string ServiceName = ModuleService.Descriptor.FullName;

    /// <summary>The message bytes are not a call request at all: the call (or the stream) ends with this.</summary>
    private static readonly Status NotACallRequest = new(global::Grpc.Core.StatusCode.InvalidArgument, "the message is not a modulus.v1.CallRequest");

    private static readonly Marshaller<CallRequestRead> CallRequests = Marshallers.Create<CallRequestRead>(
        (_, _) => throw new NotSupportedException("the host does not send call requests"),
        context =>
        {
            try
            {
                var payload = context.PayloadAsReadOnlySequence();
                // A large request waits for its module's own size limit before its values are read
                // (ModuleGrpcService.Read); the bytes must be kept, since gRPC's buffer is not.
                return payload.Length > CallRequestRead.ReadLaterAbove
                    ? new CallRequestRead(null, EnvelopeReader.ReadId(payload), null) { Unread = payload.ToArray() }
                    : EnvelopeReader.ReadCallRequest(payload);
            }
            catch (InvalidProtocolBufferException)
            {
                throw new RpcException(NotACallRequest);
            }
        });

    private static readonly Method<CallRequestRead, CallResponse> CallMethod = new(MethodType.Unary, ServiceName, "Call", CallRequests, For(CallResponse.Parser));
    private static readonly Method<CallRequestRead, CallResponse> CallStreamMethod = new(MethodType.DuplexStreaming, ServiceName, "CallStream", CallRequests, For(CallResponse.Parser));
    private static readonly Method<CallRequestRead, CallResponse> StreamCallMethod = new(MethodType.ServerStreaming, ServiceName, "StreamCall", CallRequests, For(CallResponse.Parser));
    private static readonly Method<ListModulesRequest, ListModulesResponse> ListModulesMethod = new(MethodType.Unary, ServiceName, "ListModules", For(ListModulesRequest.Parser), For(ListModulesResponse.Parser));
    private static readonly Method<GetModuleInfoRequest, Protocol.V1.ModuleInfo> GetModuleInfoMethod = new(MethodType.Unary, ServiceName, "GetModuleInfo", For(GetModuleInfoRequest.Parser), For(Protocol.V1.ModuleInfo.Parser));
    private static readonly Method<HostInfoRequest, HostInfo> GetHostInfoMethod = new(MethodType.Unary, ServiceName, "GetHostInfo", For(HostInfoRequest.Parser), For(HostInfo.Parser));

    /// <summary>What server reflection serves for the service: the .proto's own descriptor.</summary>
    public static ServiceDescriptor Descriptor => ModuleService.Descriptor;

    /// <summary>Binds the service's methods (called by grpc-dotnet, which finds each handler on the implementation by name).</summary>
    public static void BindService(ServiceBinderBase binder, ModuleServiceEndpoints? service)
    {
        binder.AddMethod(CallMethod, service is null ? null : new UnaryServerMethod<CallRequestRead, CallResponse>(service.Call));
        binder.AddMethod(CallStreamMethod, service is null ? null : new DuplexStreamingServerMethod<CallRequestRead, CallResponse>(service.CallStream));
        binder.AddMethod(StreamCallMethod, service is null ? null : new ServerStreamingServerMethod<CallRequestRead, CallResponse>(service.StreamCall));
        binder.AddMethod(ListModulesMethod, service is null ? null : new UnaryServerMethod<ListModulesRequest, ListModulesResponse>(service.ListModules));
        binder.AddMethod(GetModuleInfoMethod, service is null ? null : new UnaryServerMethod<GetModuleInfoRequest, Protocol.V1.ModuleInfo>(service.GetModuleInfo));
        binder.AddMethod(GetHostInfoMethod, service is null ? null : new UnaryServerMethod<HostInfoRequest, HostInfo>(service.GetHostInfo));
    }

    /// <summary>A protobuf message's marshaller, as the generated code makes it (writing straight into gRPC's buffer).</summary>
    private static Marshaller<T> For<T>(MessageParser<T> parser)
        where T : IMessage<T> =>
        Marshallers.Create<T>(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
