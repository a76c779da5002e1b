using Grpc.Core;
using Modulus.Sdk;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Hosting.Transports.Grpc;

/// <summary>Modulus status codes share gRPC's numbers; this is the edge where they become gRPC statuses.</summary>
internal static class StatusTranslation
{
    public static RpcException ToRpcException(ModulusException ex) =>
        new(new Status((global::Grpc.Core.StatusCode)(int)ex.Code, Protocol.CallMapper.BoundMessage(ex.Message)));

    public static ModulusException InvalidRequest(string message) => new(StatusCode.InvalidArgument, message);
}
