using System.CommandLine;
using Modulus.Cli.Commands;
using Modulus.Client.Keys;
using Modulus.Runtime.Llama;

namespace Modulus.Cli;

/// <summary>The <c>modulus</c> command line: a thin shell over the Modulus libraries.</summary>
internal static class ModulusCli
{
    /// <summary>
    /// Every verb, by name, made only when asked for: a command line that names one verb builds that
    /// verb alone, which keeps a verb's start-up to what it uses (measured in BENCHMARKS.md).
    /// </summary>
    private static IReadOnlyList<(string Name, Func<CliOutput, Func<KeyRing>, IEnumerable<Command>> Create)> Verbs { get; } =
    [
        ("serve", (o, k) => [ServeCommand.Create(o, k)]),
        ("call", (o, k) => [CallCommand.Create(o, k)]),
        ("chat", (o, _) => [ChatCommand.Create(o)]),
        ("ls", (o, _) => [ListCommand.Create(o)]),
        ("info", (o, _) => [InfoCommand.Create(o)]),
        ("new", (o, _) => [NewCommand.Create(o)]),
        ("pack", (o, _) => [PackCommand.Create(o)]),
        ("keys", (o, k) => [KeysCommand.Create(o, k)]),
        ("chain", (o, k) => [ChainCommand.Create(o, k)]),
        ("publish", (o, k) => [PublishCommand.Create(o, k)]),
        ("install", (o, _) => [InstallCommand.Create(o)]),
        ("search", (o, _) => [SearchCommand.Create(o)]),
        ("registry", (o, _) => [RegistryCommand.Create(o)]),
        ("stake|unstake|withdraw|vote", StakeCommands.Create),
        ("pay|earnings|redeem|claim", PayCommands.Create),
    ];

    /// <summary>The root command with every verb, or with only <paramref name="verb"/> when it names one.</summary>
    public static RootCommand CreateRootCommand(CliOutput output, Func<KeyRing> keyRing, string? verb = null)
    {
        var root = new RootCommand("Modulus: serve machine-learning modules by name over gRPC, call them from anywhere.");
        var only = verb is null ? null : Verbs.Where(v => v.Name.Split('|').Contains(verb, StringComparer.Ordinal)).ToList();
        foreach (var (_, create) in only is { Count: > 0 } ? only : Verbs)
        {
            foreach (var command in create(output, keyRing))
            {
                root.Subcommands.Add(command);
            }
        }

        return root;
    }

    /// <param name="args">The command line.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where failures and progress go.</param>
    /// <param name="keyRing">The key ring; the user's ($MODULUS_HOME/keys) when null.</param>
    /// <param name="stdin">What interactive verbs (<c>chat</c>) read; the console when null.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, KeyRing? keyRing = null, TextReader? stdin = null)
    {
        if (args is ["worker", ..])
        {
            // A host's worker process (see Modulus.Runtime.Isolation): hidden, and parsed by the worker itself.
            return await Modulus.Runtime.Isolation.ModulusWorker.RunAsync(args[1..], services => services.AddGgufModules()).ConfigureAwait(false);
        }

        var output = new CliOutput(stdout, stderr, stdin);
        var root = CreateRootCommand(output, () => keyRing ?? KeyRing.Default, args.Length > 0 && !args[0].StartsWith('-') ? args[0] : null);
        var parseResult = root.Parse(args);
        return await parseResult.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);
    }
}
