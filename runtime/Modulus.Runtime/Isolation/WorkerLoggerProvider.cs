using Microsoft.Extensions.Logging;
using Modulus.Protocol.Worker;

namespace Modulus.Runtime.Isolation;

/// <summary>
/// Inside a worker: sends every log record to the host, which logs it as its own, so that an
/// operator reads one log whatever process a module runs in.
/// </summary>
internal sealed class WorkerLoggerProvider(WorkerChannel channel) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Forwarder(channel, categoryName);

    public void Dispose()
    {
    }

    private sealed class Forwarder(WorkerChannel channel, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            channel.TrySend(new WorkerMessage
            {
                Log = new LogRecord
                {
                    Level = (int)logLevel,
                    EventId = eventId.Id,
                    EventName = eventId.Name ?? string.Empty,
                    Category = category,
                    Message = formatter(state, exception),
                    Exception = exception?.ToString() ?? string.Empty,
                },
            });
        }
    }
}
