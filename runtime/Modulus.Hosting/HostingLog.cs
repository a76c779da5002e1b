using Microsoft.Extensions.Logging;

namespace Modulus.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(101, LogLevel.Debug, "A call stream closed before all responses were written: {Reason}", EventName = "StreamClosed")]
    public static partial void StreamClosed(ILogger logger, string reason);

    [LoggerMessage(102, LogLevel.Information, "Modulus host ready in {ElapsedMs} ms: {Addresses}", EventName = "HostReady")]
    public static partial void HostReady(ILogger logger, long elapsedMs, string addresses);
}
