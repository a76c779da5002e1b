using Microsoft.Extensions.Logging;

namespace Modulus.Testing;

/// <summary>
/// Fails a test on any error the host logged while the scope was open that the test did not say it
/// expects: a host that answers correctly but logs an exception on the way is a bug too.
/// </summary>
internal sealed class VerifyNoErrorsScope(CapturingLoggerProvider logs, Func<(LogLevel Level, string EventName, string Message), bool>? expected = null) : IDisposable
{
    private readonly int _start = logs.Entries.Count;

    public void Dispose()
    {
        var unexpected = logs.Entries.Skip(_start)
            .Where(e => e.Level >= LogLevel.Error && !(expected?.Invoke(e) ?? false))
            .ToList();
        if (unexpected.Count > 0)
        {
            throw new Xunit.Sdk.XunitException("The host logged unexpected errors:\n" + string.Join("\n", unexpected.Select(e => $"{e.Level} {e.EventName}: {e.Message}")));
        }
    }
}
