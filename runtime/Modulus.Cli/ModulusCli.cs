using System.CommandLine;
using Modulus.Cli.Commands;
using Modulus.Client.Keys;

namespace Modulus.Cli;

/// <summary>The <c>modulus</c> command line: a thin shell over the Modulus libraries.</summary>
internal static class ModulusCli
{
    public static RootCommand CreateRootCommand(CliOutput output, Func<KeyRing> keyRing)
    {
        var root = new RootCommand("Modulus: serve machine-learning modules by name over gRPC, call them from anywhere.")
        {
            ServeCommand.Create(output, keyRing),
            CallCommand.Create(output, keyRing),
            ListCommand.Create(output),
            InfoCommand.Create(output),
            NewCommand.Create(output),
            PackCommand.Create(output),
            KeysCommand.Create(output, keyRing),
            ChainCommand.Create(output, keyRing),
            PublishCommand.Create(output, keyRing),
            InstallCommand.Create(output),
            SearchCommand.Create(output),
            RegistryCommand.Create(output),
        };
        foreach (var verb in StakeCommands.Create(output, keyRing))
        {
            root.Subcommands.Add(verb);
        }

        return root;
    }

    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where failures and progress go.</param>
    /// <param name="keyRing">The key ring; the user's ($MODULUS_HOME/keys) when null.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, KeyRing? keyRing = null)
    {
        var output = new CliOutput(stdout, stderr);
        var root = CreateRootCommand(output, () => keyRing ?? KeyRing.Default);
        var parseResult = root.Parse(args);
        return await parseResult.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);
    }
}
