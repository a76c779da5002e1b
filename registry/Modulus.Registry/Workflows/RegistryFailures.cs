using Modulus.Modules;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Service;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;

namespace Modulus.Registry;

/// <summary>The registry's edge: every failure of the chain, the service or a package, as a <see cref="RegistryException"/>.</summary>
public static class RegistryFailures
{
    /// <summary>Runs <paramref name="action"/>, translating what it throws.</summary>
    /// <exception cref="RegistryException">Any failure it knows.</exception>
    public static async Task<T> RunAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The registry failure an exception stands for, or null when it is not one.</summary>
    public static RegistryException? Translate(Exception ex) => ex switch
    {
        RegistryException registry => registry,
        SmartContractCustomErrorRevertException revert => new RegistryException(CodeOf(revert), ContractErrors.Describe(revert), revert),
        SmartContractRevertException revert => new RegistryException(RegistryErrorCode.FailedPrecondition, $"the transaction reverted: {revert.RevertMessage}", revert),
        RpcClientUnknownException or RpcClientTimeoutException or HttpRequestException =>
            new RegistryException(RegistryErrorCode.Unavailable, $"the chain does not answer ({ex.Message.TrimEnd('.')}); start it with `modulus chain up`, or pass --rpc URL", ex),
        RpcResponseException rpc => new RegistryException(RegistryErrorCode.FailedPrecondition, $"the chain refused the request: {rpc.RpcError?.Message ?? rpc.Message}", rpc),
        RegistryServiceException service => new RegistryException(service.Code switch
        {
            Grpc.Core.StatusCode.NotFound => RegistryErrorCode.NotFound,
            Grpc.Core.StatusCode.InvalidArgument => RegistryErrorCode.InvalidArgument,
            Grpc.Core.StatusCode.DataLoss => RegistryErrorCode.DataLoss,
            Grpc.Core.StatusCode.PermissionDenied => RegistryErrorCode.PermissionDenied,
            Grpc.Core.StatusCode.ResourceExhausted => RegistryErrorCode.FailedPrecondition,
            _ => RegistryErrorCode.Unavailable,
        }, service.Message, service),
        PackageHashMismatchException mismatch => new RegistryException(RegistryErrorCode.DataLoss, mismatch.Message, mismatch),
        ModulePackageException package => new RegistryException(RegistryErrorCode.InvalidArgument, package.Message, package),
        ModuleManifestException manifest => new RegistryException(RegistryErrorCode.InvalidArgument, $"{manifest.Path}: {manifest.Message}", manifest),
        DeploymentException deployment => new RegistryException(RegistryErrorCode.InvalidArgument, deployment.Message, deployment),
        _ => null,
    };

    private static RegistryErrorCode CodeOf(SmartContractCustomErrorRevertException revert) =>
        revert.IsCustomErrorFor<NotOwnerError>() || revert.IsCustomErrorFor<NameTakenError>() || revert.IsCustomErrorFor<AccessControlUnauthorizedAccountError>()
            ? RegistryErrorCode.PermissionDenied
            : revert.IsCustomErrorFor<UnknownNameError>() || revert.IsCustomErrorFor<UnknownVersionError>() || revert.IsCustomErrorFor<UnknownModuleError>()
                ? RegistryErrorCode.NotFound
                : revert.IsCustomErrorFor<InvalidNameError>() || revert.IsCustomErrorFor<InvalidVersionError>() || revert.IsCustomErrorFor<ZeroAmountError>()
                    ? RegistryErrorCode.InvalidArgument
                    : revert.IsCustomErrorFor<VersionExistsError>()
                        ? RegistryErrorCode.AlreadyExists
                        : RegistryErrorCode.FailedPrecondition;
}
