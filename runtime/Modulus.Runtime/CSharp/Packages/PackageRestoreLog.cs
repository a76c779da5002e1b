using Microsoft.Extensions.Logging;

namespace Modulus.Runtime.CSharp.Packages;

internal static partial class PackageRestoreLog
{
    [LoggerMessage(301, LogLevel.Debug, "Packages of restore set {Key} ({Count} packages) taken from the cache in {ElapsedMs} ms", EventName = "PackagesFromCache")]
    public static partial void FromCache(ILogger logger, string key, int count, long elapsedMs);

    [LoggerMessage(302, LogLevel.Information, "Restored {Count} packages ({Downloaded} downloaded, {Copied} copied from the global packages folder, {Cached} already cached, {Shared} left to the shared framework) in {ElapsedMs} ms", EventName = "PackagesRestored")]
    public static partial void Restored(ILogger logger, int count, int downloaded, int copied, int cached, int shared, long elapsedMs);

    [LoggerMessage(303, LogLevel.Information, "Downloaded package {Id} {Version} from {Source}", EventName = "PackageDownloaded")]
    public static partial void Downloaded(ILogger logger, string id, string version, string source);

    [LoggerMessage(304, LogLevel.Warning, "Package {Id} {Version}, which the module asks for, is outside the range {Range} that {Dependent} depends on; the module's version is used", EventName = "RootOutsideRange")]
    public static partial void RootOutsideRange(ILogger logger, string id, string version, string range, string dependent);

    [LoggerMessage(305, LogLevel.Warning, "Package source {Source} could not be used: {Reason}", EventName = "SourceUnreachable")]
    public static partial void SourceUnreachable(ILogger logger, string source, string reason);
}
