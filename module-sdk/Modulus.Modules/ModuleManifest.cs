using System.Numerics;

namespace Modulus.Modules;

/// <summary>The contents of a <c>module.json</c>, validated. <see cref="ModuleManifestReader"/> is the one reader.</summary>
public sealed record ModuleManifest
{
    /// <summary>The file name of a manifest.</summary>
    public const string FileName = "module.json";

    /// <summary>The name the manifest declares (<c>"name"</c>), or null when the folder's path gives it.</summary>
    public ModuleName? Name { get; init; }

    /// <summary>The version (<c>"version"</c>).</summary>
    public required ModuleVersion Version { get; init; }

    /// <summary>The language the module is written in: one of <see cref="ModuleLanguages.All"/>.</summary>
    public required string Language { get; init; }

    /// <summary>
    /// The entry file relative to the module folder (<c>Tokenize.cs</c>, <c>module.py</c>, <c>bin/X.dll</c>);
    /// for a gguf module, its model file (<see cref="GgufModel.File"/>).
    /// </summary>
    public required string EntryFile { get; init; }

    /// <summary>The module class named after a colon in <c>entry</c>, or null to find the only one.</summary>
    public string? EntryClass { get; init; }

    /// <summary>One line for <c>ls</c> and search.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Search tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>C# only: the NuGet packages the module needs, id to exact version; the host restores them.</summary>
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>();

    /// <summary>Python only: top-level modules the code imports, checked before the module loads.</summary>
    public IReadOnlyList<string> Imports { get; init; } = [];

    /// <summary>Per-module limits.</summary>
    public ModuleLimits Limits { get; init; } = ModuleLimits.Default;

    /// <summary>Who may call the module.</summary>
    public ModuleAccess Access { get; init; } = ModuleAccess.Open;

    /// <summary>Where the module's code runs: one of <see cref="ModuleIsolation.All"/>, <see cref="ModuleIsolation.Process"/> by default.</summary>
    public string Isolation { get; init; } = ModuleIsolation.Process;

    /// <summary>For a gguf module: the model file and how it is served (<c>model</c>, <c>context</c>, <c>contexts</c>, <c>threads</c>); null for other languages.</summary>
    public GgufModel? Model { get; init; }
}

/// <summary>How a gguf module serves its model: <c>module.json</c>'s <c>model</c>, <c>context</c>, <c>contexts</c> and <c>threads</c>.</summary>
/// <param name="File">The GGUF file, relative to the module folder.</param>
/// <param name="Context">The context window of each generation in tokens (prompt and generated tokens together); null for the model's own context length.</param>
/// <param name="Contexts">How many generations run at once: a pool of llama.cpp contexts sharing the one loaded copy of the weights; a call beyond them waits for one.</param>
/// <param name="Threads">The CPU threads each generation uses.</param>
public sealed record GgufModel(string File, int? Context = null, int Contexts = GgufModel.DefaultContexts, int Threads = GgufModel.DefaultThreads)
{
    /// <summary>The pool size of a manifest that sets no <c>contexts</c>.</summary>
    public const int DefaultContexts = 2;

    /// <summary>The threads of a manifest that sets no <c>threads</c>.</summary>
    public const int DefaultThreads = 2;

    /// <summary>The most <c>contexts</c> a manifest may ask for.</summary>
    public const int MaxContexts = 64;

    /// <summary>The most <c>threads</c> a manifest may ask for.</summary>
    public const int MaxThreads = 256;
}

/// <summary>Where a module's code runs: <c>module.json</c>'s <c>isolation</c>.</summary>
public static class ModuleIsolation
{
    /// <summary>In a worker process of its own, supervised by the host (the default): a crash, a hang or a leak ends the worker, not the host.</summary>
    public const string Process = "process";

    /// <summary>Inside the host process (C# only): a few microseconds less per call, but whatever the module does happens to the host.</summary>
    public const string InProcess = "inprocess";

    /// <summary>Every mode, in the order errors list them.</summary>
    public static IReadOnlyList<string> All { get; } = [Process, InProcess];
}

/// <summary>The languages a manifest may name.</summary>
public static class ModuleLanguages
{
    /// <summary>C#: source files compiled by the host, or a prebuilt assembly.</summary>
    public const string CSharp = "csharp";

    /// <summary>Python: a class deriving from <c>modulus.Module</c>, run in an embedded interpreter.</summary>
    public const string Python = "python";

    /// <summary>A language model in a GGUF file, served by llama.cpp in a worker process: no code of the module's own.</summary>
    public const string Gguf = "gguf";

    /// <summary>Every language, in the order the manifest's error lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [CSharp, Python, Gguf];

    /// <summary>The file extensions an entry (for gguf, the model file) of each language may have.</summary>
    public static IReadOnlyList<string> EntryExtensions(string language) => language switch
    {
        CSharp => [".cs", ".dll"],
        Python => [".py"],
        Gguf => [".gguf"],
        _ => [],
    };
}

/// <summary>Who may call a module: <c>module.json</c>'s <c>access</c>.</summary>
/// <param name="Mode">open (anyone), signed (any signed caller), allow (signed callers on <paramref name="Allow"/>), stake (signed callers with at least <paramref name="MinStake"/> staked on the module), paid (callers whose voucher pays <see cref="Price"/> per call).</param>
/// <param name="Allow">Lower-case 0x addresses, for mode allow.</param>
/// <param name="MinStake">The least stake in $GPT base units, for mode stake.</param>
public sealed record ModuleAccess(string Mode, IReadOnlySet<string> Allow, BigInteger MinStake)
{
    /// <summary>The access modes.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["open", "signed", "allow", "stake", Paid];

    /// <summary>The mode of a module whose calls are paid for with escrow vouchers.</summary>
    public const string Paid = "paid";

    /// <summary>Anyone may call.</summary>
    public static ModuleAccess Open { get; } = new("open", new HashSet<string>(), BigInteger.Zero);

    /// <summary>For mode paid: the price of one call in wei ($GPT base units, 18 decimals); <c>access.price</c> in $GPT.</summary>
    public BigInteger Price { get; init; }

    /// <summary>For mode paid: the price of 1,000 generated tokens of a streaming endpoint in wei; <c>access.price_per_1k_tokens</c>; 0 when not set.</summary>
    public BigInteger PricePer1kTokens { get; init; }

    /// <summary>Whether calls to the module are paid (<see cref="Mode"/> is <see cref="Paid"/>).</summary>
    public bool IsPaid => Mode == Paid;
}

/// <summary>Per-module limits from <c>module.json</c>'s <c>limits</c>.</summary>
/// <param name="Timeout">How long one call may run before it fails with DEADLINE_EXCEEDED.</param>
/// <param name="MaxConcurrency">Calls run at once; 0 for no limit.</param>
/// <param name="MaxQueue">Calls waiting for a slot when <paramref name="MaxConcurrency"/> is reached; beyond it RESOURCE_EXHAUSTED.</param>
/// <param name="MaxRequestBytes">The largest request accepted, in bytes.</param>
/// <param name="RatePerCaller">Calls per second one caller (a signed address, else an IP address) may make; 0 for no limit.</param>
/// <param name="MemoryMb">The resident memory the module's worker may use, in MiB; 0 for the host's default.</param>
public sealed record ModuleLimits(TimeSpan Timeout, int MaxConcurrency, int MaxQueue, int MaxRequestBytes, double RatePerCaller = 0, int MemoryMb = 0)
{
    /// <summary>The limits of a manifest that sets none.</summary>
    public static ModuleLimits Default { get; } = new(TimeSpan.FromSeconds(30), 0, 64, 16 * 1024 * 1024);
}

/// <summary>A manifest is wrong; the message says what and how to fix it.</summary>
/// <param name="path">The manifest file (or the package entry) at fault.</param>
/// <param name="message">What is wrong and what to do.</param>
public sealed class ModuleManifestException(string path, string message) : Exception(message)
{
    /// <summary>The manifest file at fault.</summary>
    public string Path { get; } = path;
}
