using NuGet.Configuration;
using NuGet.Frameworks;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>Settings of a <see cref="ModulePackageRestorer"/>.</summary>
internal sealed record ModulePackageRestorerOptions
{
    /// <summary>The folder that holds extracted packages and restore set files (the host uses <c>$MODULUS_HOME/packages</c>).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>
    /// The NuGet configuration that names the sources and the global packages folder; null for the
    /// machine's default configuration (<see cref="Settings.LoadDefaultSettings(string)"/>).
    /// </summary>
    public ISettings? Settings { get; init; }

    /// <summary>The framework to pick assemblies and dependency groups for; null for the one the host runs on.</summary>
    public NuGetFramework? TargetFramework { get; init; }

    /// <summary>Whether to take packages from NuGet's global packages folder before asking the sources.</summary>
    public bool UseGlobalPackagesFolder { get; init; } = true;

    /// <summary>Whether to ignore NuGet's HTTP cache, so version lists and packages come from the sources themselves.</summary>
    public bool NoHttpCache { get; init; }
}
