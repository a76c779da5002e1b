using Microsoft.Extensions.Logging;

namespace Modulus.Runtime;

internal static partial class RuntimeLog
{
    [LoggerMessage(1, LogLevel.Information, "Serving {Count} modules from {Root} ({Faults} failed, {Loaded} (re)loaded in {ElapsedMs} ms)", EventName = "TreeLoaded")]
    public static partial void TreeLoaded(ILogger logger, string root, int count, int faults, int loaded, long elapsedMs);

    [LoggerMessage(2, LogLevel.Error, "Module not loaded: {Path}: {Reason}", EventName = "ModuleFault")]
    public static partial void ModuleFault(ILogger logger, string path, string reason);

    [LoggerMessage(3, LogLevel.Information, "Reloaded {Module} {Version}", EventName = "ModuleReloaded")]
    public static partial void ModuleReloaded(ILogger logger, string module, string version);

    [LoggerMessage(4, LogLevel.Information, "Removed {Module}", EventName = "ModuleRemoved")]
    public static partial void ModuleRemoved(ILogger logger, string module);

    [LoggerMessage(5, LogLevel.Debug, "Compiled {Module} ({Files} files) in {ElapsedMs} ms", EventName = "Compiled")]
    public static partial void Compiled(ILogger logger, string module, int files, long elapsedMs);

    [LoggerMessage(6, LogLevel.Debug, "{Module}: compiled assembly {Key} taken from the cache", EventName = "CompileCacheHit")]
    public static partial void CompileCacheHit(ILogger logger, string module, string key);

    [LoggerMessage(16, LogLevel.Warning, "{Module}: the compiled assembly cached at {Path} is corrupt ({Reason}); compiling it again", EventName = "CompileCacheCorrupt")]
    public static partial void CompileCacheCorrupt(ILogger logger, string module, string path, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Compile cache {Directory} cannot be written ({Reason}); modules will be compiled at every start", EventName = "CompileCacheUnwritable")]
    public static partial void CompileCacheUnwritable(ILogger logger, string directory, string reason);

    [LoggerMessage(8, LogLevel.Information, "Embedded Python {Version} started from {Library} in {ElapsedMs} ms", EventName = "PythonStarted")]
    public static partial void PythonStarted(ILogger logger, string library, string version, long elapsedMs);

    [LoggerMessage(9, LogLevel.Debug, "Imported Python module {Module} as package {Package}", EventName = "PythonModuleImported")]
    public static partial void PythonModuleImported(ILogger logger, string module, string package);

    [LoggerMessage(10, LogLevel.Warning, "{Target} threw", EventName = "EndpointFailed")]
    public static partial void EndpointFailed(ILogger logger, string target, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "{Target} passed its deadline of {TimeoutMs} ms", EventName = "CallTimedOut")]
    public static partial void CallTimedOut(ILogger logger, string target, long timeoutMs);

    [LoggerMessage(12, LogLevel.Warning, "Unloading {Module} failed", EventName = "UnloadFailed")]
    public static partial void UnloadFailed(ILogger logger, string module, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Watching {Root} for changes failed; modules will not be reloaded", EventName = "WatchFailed")]
    public static partial void WatchFailed(ILogger logger, string root, Exception exception);

    [LoggerMessage(14, LogLevel.Error, "Reloading the module tree failed", EventName = "ReloadFailed")]
    public static partial void ReloadFailed(ILogger logger, Exception exception);
}
