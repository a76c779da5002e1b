using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Modulus.Testing;

/// <summary>Keeps every log entry so a test can check what was reported, and how often.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string EventName, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string EventName, string Message)> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((logLevel, eventId.Name ?? string.Empty, formatter(state, exception)));
    }
}
