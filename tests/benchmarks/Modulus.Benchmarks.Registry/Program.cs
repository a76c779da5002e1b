// The registry's costs, as a user pays them.
//   gas:    gas used by each contract operation, on a real Anvil with freshly deployed contracts.
//   search: the index's search, resolve and get latency at 10,000 and 100,000 synthetic modules,
//           beside the same queries made directly on the index's LiteDB file.
// Usage: Modulus.Benchmarks.Registry gas [--json]
//        Modulus.Benchmarks.Registry search [--modules 10000,100000] [--queries 2000]
using Modulus.Benchmarks.Registry;

var verb = args.Length > 0 ? args[0] : null;
switch (verb)
{
    case "gas":
        return await GasReport.RunAsync(args);
    case "search":
        return SearchBenchmark.Run(args);
    default:
        Console.Error.WriteLine("usage: Modulus.Benchmarks.Registry gas [--json]");
        Console.Error.WriteLine("       Modulus.Benchmarks.Registry search [--modules 10000,100000] [--queries 2000]");
        return 2;
}
