namespace Modulus.Runtime.Tree;

/// <summary>The contents of a <c>module.json</c>, validated.</summary>
public sealed record ModuleManifest
{
    /// <summary>The dotted name the module serves as.</summary>
    public required string Name { get; init; }

    /// <summary>A semver version such as <c>1.2.0</c>.</summary>
    public required string Version { get; init; }

    /// <summary><c>csharp</c> or <c>python</c>.</summary>
    public required string Language { get; init; }

    /// <summary>The entry file relative to the module folder (<c>Tokenize.cs</c>, <c>module.py</c>, <c>bin/X.dll</c>).</summary>
    public required string EntryFile { get; init; }

    /// <summary>The module class named after a colon in <c>entry</c>, or null to find the only one.</summary>
    public string? EntryClass { get; init; }

    public string Description { get; init; } = string.Empty;

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>C# only: assemblies the host ships that the module's source compiles against.</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>C# only: NuGet packages (id to exact version) the host restores, with their dependencies, for the module to compile against and load.</summary>
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>();

    public ModuleLimits Limits { get; init; } = ModuleLimits.Default;

    public ModuleAccess Access { get; init; } = ModuleAccess.Open;
}

/// <summary>Who may call a module: <c>module.json</c>'s <c>access</c>.</summary>
/// <param name="Mode">open (anyone), signed (any signed caller), allow (signed callers on <paramref name="Allow"/>), stake (signed callers with at least <paramref name="MinStake"/> staked on the module).</param>
/// <param name="Allow">Lower-case 0x addresses, for mode allow.</param>
/// <param name="MinStake">The least stake in $GPT base units, for mode stake.</param>
public sealed record ModuleAccess(string Mode, IReadOnlySet<string> Allow, System.Numerics.BigInteger MinStake)
{
    public static IReadOnlySet<string> Modes { get; } = new HashSet<string>(StringComparer.Ordinal) { "open", "signed", "allow", "stake" };

    public static ModuleAccess Open { get; } = new("open", new HashSet<string>(), System.Numerics.BigInteger.Zero);
}

/// <summary>Per-module limits from <c>module.json</c>'s <c>limits</c>.</summary>
/// <param name="Timeout">How long one call may run before it fails with DEADLINE_EXCEEDED.</param>
/// <param name="MaxConcurrency">Calls run at once; 0 for no limit.</param>
/// <param name="MaxQueue">Calls that wait for a free slot once <paramref name="MaxConcurrency"/> are running; more fail with RESOURCE_EXHAUSTED.</param>
/// <param name="MaxRequestBytes">The largest request the module accepts.</param>
/// <param name="RatePerCaller">Calls per second one caller (a signed address, else an IP address) may make; 0 for no limit.</param>
public sealed record ModuleLimits(TimeSpan Timeout, int MaxConcurrency, int MaxQueue, int MaxRequestBytes, double RatePerCaller = 0)
{
    public static ModuleLimits Default { get; } = new(TimeSpan.FromSeconds(30), 0, 64, 16 * 1024 * 1024);
}

/// <summary>A module folder that could not be served, and why.</summary>
/// <param name="Path">The file at fault (a <c>module.json</c>, a source file) or the module folder.</param>
/// <param name="Reason">What was wrong and what to do.</param>
public sealed record ModuleFault(string Path, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
