namespace Modulus.Runtime.CSharp.Packages;

/// <summary>Where a restore found one package.</summary>
internal enum PackageOrigin
{
    /// <summary>Already extracted in the module package cache.</summary>
    Cache,

    /// <summary>Copied from NuGet's global packages folder (after its hash was checked), without network.</summary>
    GlobalPackagesFolder,

    /// <summary>Downloaded from a package source.</summary>
    Source,

    /// <summary>Not restored: the shared framework already carries its assemblies in the same or a higher version.</summary>
    SharedFramework,
}
