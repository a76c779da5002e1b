namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// A package of a module could not be restored. The message names the package and the version (or
/// range) asked for, the sources tried and what to do; it is meant to be shown to the module's author.
/// </summary>
internal sealed class PackageRestoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="packageId">The package that could not be restored.</param>
    /// <param name="version">The version or range asked for.</param>
    /// <param name="message">The whole sentence for the module's author.</param>
    /// <param name="innerException">The NuGet error behind it, if any.</param>
    public PackageRestoreException(string packageId, string version, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        PackageId = packageId;
        Version = version;
    }

    /// <summary>The package that could not be restored.</summary>
    public string PackageId { get; }

    /// <summary>The version or version range asked for.</summary>
    public string Version { get; }
}
