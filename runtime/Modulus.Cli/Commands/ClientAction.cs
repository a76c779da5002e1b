using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.Cli.Commands;

/// <summary>Runs a verb against a host: a malformed address is a usage error, a failed call one line with its code.</summary>
internal static class ClientAction
{
    public static Task<int> RunAsync(CliOutput output, string url, Func<ModulusClient, Task<int>> action) =>
        RunAsync(output, url, new ModulusClientOptions(), action);

    public static async Task<int> RunAsync(CliOutput output, string url, ModulusClientOptions options, Func<ModulusClient, Task<int>> action)
    {
        ModulusClient client;
        try
        {
            client = ModulusClient.Connect(url, options);
        }
        catch (FormatException ex)
        {
            return output.Usage(ex.Message);
        }

        await using (client.ConfigureAwait(false))
        {
            try
            {
                return await action(client).ConfigureAwait(false);
            }
            catch (ModulusException ex)
            {
                return output.Fail(ex);
            }
        }
    }
}
