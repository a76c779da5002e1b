using Modulus.Sdk;

namespace Modulus.Cli;

/// <summary>Where a command writes: results to <see cref="Out"/>, failures and progress to <see cref="Error"/>; what an interactive verb reads comes from <see cref="In"/>.</summary>
internal sealed class CliOutput(TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
{
    public TextReader In { get; } = stdin ?? Console.In;

    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    /// <summary>Prints a failure in one line (<c>NOT_FOUND: ...</c>) and returns the exit code.</summary>
    public int Fail(ModulusException ex)
    {
        Error.WriteLine($"{ex.Code.ToWireName()}: {ex.Message}");
        return ExitFailure;
    }

    /// <summary>Prints a failure that has no status code in one line (<c>error: ...</c>) and returns the exit code.</summary>
    public int Failure(string message)
    {
        Error.WriteLine($"error: {message}");
        return ExitFailure;
    }

    /// <summary>Prints a usage problem in one line and returns the exit code.</summary>
    public int Usage(string message)
    {
        Error.WriteLine($"error: {message}");
        return ExitUsage;
    }
}
