namespace Modulus.Cli;

/// <summary>
/// The environment variables the CLI reads, all here: each one stands in for a flag the user did
/// not give. The libraries read none of these; they take options.
/// </summary>
internal static class CliEnvironment
{
    /// <summary><c>MODULUS_URL</c>: the host the client verbs talk to.</summary>
    public static string? Url => Read("MODULUS_URL");

    /// <summary><c>MODULUS_REGISTRY</c>: the registry service.</summary>
    public static string? Registry => Read("MODULUS_REGISTRY");

    /// <summary><c>MODULUS_DEPLOYMENT</c>: the deployment file of the chain to use.</summary>
    public static string? Deployment => Read("MODULUS_DEPLOYMENT");

    /// <summary><c>MODULUS_KEY</c>: the key that signs transactions.</summary>
    public static string? Key => Read("MODULUS_KEY");

    /// <summary><c>MODULUS_PASSPHRASE</c>: the passphrase that unlocks it.</summary>
    public static string? Passphrase => Read(PassphraseVariable);

    /// <summary>The name of the passphrase variable, for messages.</summary>
    public const string PassphraseVariable = "MODULUS_PASSPHRASE";

    /// <summary>Any variable of the shorthands <see cref="CliConfiguration"/> maps to settings.</summary>
    /// <summary>
    /// The command that starts a worker when this process is the <c>modulus</c> program: itself, with
    /// its hidden <c>worker</c> verb. Null when the CLI runs inside another program (a test), which
    /// then uses the worker program beside it.
    /// </summary>
    public static IList<string>? WorkerCommand() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "modulus" ? [self, "worker"] : null;

    public static string? Read(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
