using System.CommandLine;
using Modulus.Cli.Commands;

namespace Modulus.Cli;

/// <summary>The <c>modulus</c> command line: a thin shell over the Modulus libraries.</summary>
internal static class ModulusCli
{
    public static RootCommand CreateRootCommand(CliOutput output)
    {
        var root = new RootCommand("Modulus: serve machine-learning modules by name over gRPC, call them from anywhere.")
        {
            ServeCommand.Create(output),
            CallCommand.Create(output),
            ListCommand.Create(output),
            InfoCommand.Create(output),
            NewCommand.Create(output),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var output = new CliOutput(stdout, stderr);
        var root = CreateRootCommand(output);
        var parseResult = root.Parse(args);
        return await parseResult.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }).ConfigureAwait(false);
    }
}
