namespace Modulus.Registry;

/// <summary>What kind of failure a <see cref="RegistryException"/> is; the CLI maps it to an exit code.</summary>
public enum RegistryErrorCode
{
    /// <summary>The caller asked for something malformed: a bad name, version, amount or manifest.</summary>
    InvalidArgument,

    /// <summary>No such module, version or package.</summary>
    NotFound,

    /// <summary>The version is already published with other content (versions are immutable), or a folder is in the way.</summary>
    AlreadyExists,

    /// <summary>The name belongs to another account, or the contract refused the signer.</summary>
    PermissionDenied,

    /// <summary>The chain or the registry service does not answer.</summary>
    Unavailable,

    /// <summary>Bytes do not have the hash the chain records for them.</summary>
    DataLoss,

    /// <summary>The contract refused the transaction for a reason of its own (a cooldown not over, say).</summary>
    FailedPrecondition,
}

/// <summary>
/// The one exception the registry library throws at its edge: Nethereum, JSON-RPC, gRPC and package
/// failures are translated into it with a sentence that says what to do.
/// </summary>
/// <param name="code">What kind of failure.</param>
/// <param name="message">What went wrong and what to do.</param>
/// <param name="innerException">The failure it was translated from.</param>
public sealed class RegistryException(RegistryErrorCode code, string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>What kind of failure.</summary>
    public RegistryErrorCode Code { get; } = code;
}
