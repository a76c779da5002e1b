namespace Modulus.Sdk;

/// <summary>
/// A failure with a status code. Modules throw it to answer with a specific code
/// (for example <see cref="StatusCode.InvalidArgument"/>); hosts and clients throw it for
/// every failure they report, whatever the transport.
/// </summary>
public class ModulusException : Exception
{
    public ModulusException(StatusCode code, string message)
        : base(message) => Code = code;

    public ModulusException(StatusCode code, string message, Exception? innerException)
        : base(message, innerException) => Code = code;

    /// <summary>The status code of the failure.</summary>
    public StatusCode Code { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Code.ToWireName()}: {Message}";
}
