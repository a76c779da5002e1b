using Modulus.Client.Keys;
using Modulus.Registry;

namespace Modulus.Cli.Commands;

/// <summary>
/// Runs a registry verb: the registry library's one exception type (and what its edge translates)
/// becomes one line on standard error and an exit code.
/// </summary>
internal static class ChainAction
{
    public static async Task<int> RunAsync(CliOutput output, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (RegistryFailures.Translate(ex) is { } failure)
        {
            return failure.Code == RegistryErrorCode.InvalidArgument ? output.Usage(failure.Message) : output.Failure(failure.Message);
        }
        catch (Exception ex) when (ex is KeyRingException or FormatException)
        {
            return output.Usage(ex.Message);
        }
    }
}
