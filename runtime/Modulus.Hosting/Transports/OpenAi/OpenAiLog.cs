using Microsoft.Extensions.Logging;

namespace Modulus.Hosting.Transports.OpenAi;

internal static partial class OpenAiLog
{
    [LoggerMessage(130, LogLevel.Debug, "{Method} {Path} answered {Status}: {Message}", EventName = "OpenAiRequestRefused")]
    public static partial void RequestRefused(ILogger logger, string method, string path, int status, string message);

    [LoggerMessage(131, LogLevel.Information, "A stream of {Model}/{Endpoint} failed after it began; the client got an error event ({Status}): {Message}", EventName = "OpenAiStreamFailed")]
    public static partial void StreamFailed(ILogger logger, string model, string endpoint, int status, string message);

    [LoggerMessage(132, LogLevel.Debug, "{Method} {Path}: the client went away; its call was cancelled", EventName = "OpenAiClientLeft")]
    public static partial void ClientLeft(ILogger logger, string method, string path);
}
