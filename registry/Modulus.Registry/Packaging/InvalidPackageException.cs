namespace Modulus.Registry.Packaging;

/// <summary>A module folder that cannot be packed, or package bytes that are not a module package.</summary>
public sealed class InvalidPackageException(string message, Exception? innerException = null) : Exception(message, innerException);
