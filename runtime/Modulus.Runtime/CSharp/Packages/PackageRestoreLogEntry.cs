namespace Modulus.Runtime.CSharp.Packages;

/// <summary>One line of a restore's log: one package and where it came from.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Version">The normalized version restored (for <see cref="PackageOrigin.SharedFramework"/>, the version asked for).</param>
/// <param name="Origin">Where it came from.</param>
/// <param name="Detail">The source's name and address for a download, the folder for a copy, else null.</param>
internal sealed record PackageRestoreLogEntry(string Id, string Version, PackageOrigin Origin, string? Detail = null)
{
    /// <inheritdoc />
    public override string ToString() => Origin switch
    {
        PackageOrigin.Cache => $"{Id} {Version}: from the module package cache",
        PackageOrigin.GlobalPackagesFolder => $"{Id} {Version}: copied from the global packages folder {Detail}",
        PackageOrigin.Source => $"{Id} {Version}: downloaded from {Detail}",
        _ => $"{Id} {Version}: provided by the shared framework, not restored",
    };
}
