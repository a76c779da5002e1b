using Modulus.Sdk;
using Python.Runtime;

namespace Modulus.Runtime.Python;

/// <summary>Turns Python exceptions into Modulus errors. Call while holding the GIL.</summary>
internal static class PythonErrors
{
    /// <summary>How many lines of a traceback an error carries: enough to find the line at fault.</summary>
    private const int TracebackLines = 6;

    public static ModulusException ToModulusException(PythonException ex, string target)
    {
        // A module raised modulus.ModulusError (InvalidArgument, NotFound, ...): keep its code and message.
        if (ex.Value is { } value && value.HasAttr("code") && value.HasAttr("message") && IsModulusError(ex))
        {
            using var code = value.GetAttr("code");
            using var message = value.GetAttr("message");
            return new ModulusException((StatusCode)code.As<int>(), message.ToString() ?? string.Empty);
        }

        return new ModulusException(StatusCode.Internal, $"{target} raised {Describe(ex, "error")}");
    }

    /// <summary>The exception's type and message and the last lines of its traceback.</summary>
    public static string Describe(PythonException ex, string fallback)
    {
        string formatted;
        try
        {
            formatted = ex.Format();
        }
        catch (PythonException)
        {
            formatted = ex.Message;
        }

        var lines = formatted.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Traceback (most recent call last)", StringComparison.Ordinal))
            .Where(l => !IsHostFrame(l) && !IsMarkerLine(l))
            .ToList();
        var tail = lines.Count > TracebackLines ? lines.Skip(lines.Count - TracebackLines) : lines;
        var text = string.Join(" | ", tail);
        return text.Length == 0 ? fallback : text;
    }

    /// <summary>Frames of the host's own helper and of importlib say nothing about the module.</summary>
    private static bool IsHostFrame(string line) =>
        line.Contains("modulus/_host.py", StringComparison.Ordinal)
        || line.Contains("importlib", StringComparison.Ordinal)
        || line.Contains("_bootstrap", StringComparison.Ordinal);

    /// <summary>Python 3.11's <c>^^^^</c> and <c>~~~</c> lines point at columns of the line above; they waste the tail.</summary>
    private static bool IsMarkerLine(string line) => line.All(c => c is '^' or '~' or ' ');

    public static bool IsKeyboardInterrupt(PythonException ex) => ex.Type?.Name == "KeyboardInterrupt";

    /// <summary>
    /// An interrupt requested just as the call returned is still pending on this thread; run a trivial
    /// statement so it fires here, not in the next call that happens to run on this thread.
    /// </summary>
    public static void DiscardPendingInterrupt()
    {
        try
        {
            PythonEngine.Exec("pass");
        }
        catch (PythonException)
        {
        }
    }

    private static bool IsModulusError(PythonException ex)
    {
        using var errors = Py.Import("modulus.errors");
        using var baseType = errors.GetAttr("ModulusError");
        return ex.Type is { } type && type.IsSubclass(baseType);
    }
}
