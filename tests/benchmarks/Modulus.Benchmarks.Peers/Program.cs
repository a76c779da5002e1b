// make bench: Modulus side by side with a Python grpcio server, FastAPI on uvicorn and bare floors,
// paid calls beside signed and unsigned ones on a real Anvil, and text generation against LLamaSharp in-process; writes BENCHMARKS.md and BENCHMARKS.json.
// Usage: Modulus.Benchmarks.Peers [--quick] [--cli artifacts/cli/modulus] [--tree tests/benchmarks/modules]
//          [--peers tests/benchmarks/peers] [--python /usr/bin/python3] [--out .] [--registry-report FILE] [--notes tests/benchmarks/LIMITS.md] [--scale-modules 1000]
//          [--paid-tree tests/benchmarks/modules-paid] [--only-paid]   (--only-paid: only the paid-call section, on its own Anvil and hosts)
//          [--generate-module modules/text/generate] [--only-generation]   (--only-generation: only the text-generation section, on its own host)
//        Modulus.Benchmarks.Peers floor-server   (started by the harness itself)
using Modulus.Benchmarks;
using Modulus.Benchmarks.Peers;

if (args is ["floor-server", ..])
{
    return await FloorServer.RunAsync();
}

var arguments = new BenchmarkArguments(args);
if (!arguments.CliExists())
{
    return 2;
}

var quick = args.Contains("--quick");
var options = new HarnessOptions(
    Cli: arguments.Cli,
    Tree: arguments.Text("--tree", "tests/benchmarks/modules"),
    Peers: arguments.Text("--peers", "tests/benchmarks/peers"),
    Python: arguments.Text("--python", Environment.GetEnvironmentVariable("MODULUS_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3"),
    Quick: quick,
    Out: arguments.Text("--out", "."),
    RegistryReport: arguments.Text("--registry-report", string.Empty) is { Length: > 0 } report ? report : null,
    Notes: arguments.Text("--notes", "tests/benchmarks/LIMITS.md"),
    ScaleModules: (int)arguments.Number("--scale-modules", 1000),
    Command: quick ? "make bench-quick" : "make bench")
{
    PaidTree = arguments.Text("--paid-tree", "tests/benchmarks/modules-paid"),
    OnlyPaid = args.Contains("--only-paid"),
    GenerateModule = arguments.Text("--generate-module", "modules/text/generate"),
    OnlyGeneration = args.Contains("--only-generation"),
};
try
{
    return await new Harness(options).RunAsync();
}
catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
{
    // A missing interpreter or peer package, a server that did not start, a wrong answer: say which, not a stack trace.
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine("  the peers run on --python (default $MODULUS_PYTHON or /usr/bin/python3); `make bench` installs their Debian packages when run as root");
    return 1;
}
