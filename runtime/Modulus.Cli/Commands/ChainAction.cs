using Modulus.Client.Keys;
using Modulus.Registry.Chain;
using Modulus.Registry.Packaging;
using Modulus.Registry.Service;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;

namespace Modulus.Cli.Commands;

/// <summary>Runs a registry verb: each failure of the chain, the registry service or a package becomes one line and an exit code.</summary>
internal static class ChainAction
{
    public static async Task<int> RunAsync(CliOutput output, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SmartContractCustomErrorRevertException ex)
        {
            output.Error.WriteLine($"error: {ContractErrors.Describe(ex)}");
            return CliOutput.ExitFailure;
        }
        catch (SmartContractRevertException ex)
        {
            output.Error.WriteLine($"error: the transaction reverted: {ex.RevertMessage}");
            return CliOutput.ExitFailure;
        }
        catch (Exception ex) when (ex is RpcClientUnknownException or RpcClientTimeoutException or HttpRequestException)
        {
            output.Error.WriteLine($"error: the chain does not answer ({ex.Message.TrimEnd('.')}); start it with `modulus chain up`, or pass --rpc URL");
            return CliOutput.ExitFailure;
        }
        catch (RpcResponseException ex)
        {
            output.Error.WriteLine($"error: the chain refused the request: {ex.RpcError?.Message ?? ex.Message}");
            return CliOutput.ExitFailure;
        }
        catch (RegistryServiceException ex)
        {
            output.Error.WriteLine($"error: {ex.Message}");
            return CliOutput.ExitFailure;
        }
        catch (PackageHashMismatchException ex)
        {
            output.Error.WriteLine($"error: {ex.Message}");
            return CliOutput.ExitFailure;
        }
        catch (InvalidPackageException ex)
        {
            output.Error.WriteLine($"error: {ex.Message}");
            return CliOutput.ExitFailure;
        }
        catch (Exception ex) when (ex is DeploymentException or KeyRingException or FormatException)
        {
            return output.Usage(ex.Message);
        }
    }
}
