using Microsoft.Extensions.Logging;

namespace Modulus.Runtime.Isolation;

/// <summary>Log messages of worker processes, on the host's side and inside a worker.</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(100, LogLevel.Warning, "{Target} threw", EventName = "WorkerEndpointFailed")]
    public static partial void EndpointFailed(ILogger logger, string target, Exception exception);

    [LoggerMessage(101, LogLevel.Error, "The link to the host failed: {Reason}", EventName = "WorkerLinkFailed")]
    public static partial void LinkFailed(ILogger logger, string reason);

    [LoggerMessage(102, LogLevel.Debug, "{Module}: worker {Pid} started and loaded the module in {ElapsedMs} ms", EventName = "WorkerStarted")]
    public static partial void Started(ILogger logger, string module, int pid, long elapsedMs);

    [LoggerMessage(103, LogLevel.Error, "{Module}: worker {Pid} {Reason}{Output}", EventName = "WorkerDied")]
    public static partial void Died(ILogger logger, string module, int pid, string reason, string output);

    [LoggerMessage(104, LogLevel.Information, "{Module}: restarting its worker in {DelayMs} ms (crash {Crashes} of {Limit} allowed in {WindowS} s)", EventName = "WorkerRestarting")]
    public static partial void Restarting(ILogger logger, string module, long delayMs, int crashes, int limit, double windowS);

    [LoggerMessage(105, LogLevel.Error, "{Module}: marked failed: {Reason}", EventName = "WorkerCrashLoop")]
    public static partial void CrashLoop(ILogger logger, string module, string reason);

    [LoggerMessage(106, LogLevel.Debug, "{Module} worker {Pid}: {Line}", EventName = "WorkerOutput")]
    public static partial void Output(ILogger logger, string module, int pid, string line);

    [LoggerMessage(107, LogLevel.Warning, "{Module}: killing worker {Pid}: {Reason}", EventName = "WorkerKilled")]
    public static partial void Killed(ILogger logger, string module, int pid, string reason);
}
