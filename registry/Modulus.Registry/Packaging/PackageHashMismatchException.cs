namespace Modulus.Registry.Packaging;

/// <summary>Package bytes whose sha256 is not the one they were supposed to have: nothing was unpacked.</summary>
public sealed class PackageHashMismatchException(string expected, string actual)
    : Exception($"the package has sha256 {actual}, but the chain records {expected} for it: it was altered or corrupted in the store or on the way; nothing was installed")
{
    /// <summary>The hash the package should have (as recorded on chain).</summary>
    public string Expected { get; } = expected;

    /// <summary>The hash of the bytes received.</summary>
    public string Actual { get; } = actual;
}
