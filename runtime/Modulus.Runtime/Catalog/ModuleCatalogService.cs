using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Modulus.Runtime.Catalog;

/// <summary>
/// Loads the tree once the host has started (its ports open at once; each module serves as soon as
/// it is ready, and <c>ls</c> shows the ones still loading), then watches the folder and reloads
/// what changed.
/// </summary>
internal sealed class ModuleCatalogService(ModuleCatalog tree, IOptions<ModulusRuntimeOptions> options, ILogger<ModuleCatalogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: a module whose import takes a minute delays only itself.
        await Task.Yield();
        try
        {
            await tree.ReloadAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            RuntimeLog.ReloadFailed(logger, ex);
        }

        if (!options.Value.Watch)
        {
            return;
        }

        // One pending signal is enough: any number of file events coalesce into one rescan.
        var changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        FileSystemWatcher watcher;
        try
        {
            watcher = new FileSystemWatcher(tree.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
        }
        catch (ArgumentException ex)
        {
            RuntimeLog.WatchFailed(logger, tree.Root, ex);
            return;
        }

        using (watcher)
        {
            void Signal(object sender, FileSystemEventArgs e)
            {
                if (!IsNoise(e.FullPath))
                {
                    changes.Writer.TryWrite(true);
                }
            }

            watcher.Changed += Signal;
            watcher.Created += Signal;
            watcher.Deleted += Signal;
            watcher.Renamed += (s, e) => Signal(s, e);
            watcher.Error += (_, e) => RuntimeLog.WatchFailed(logger, tree.Root, e.GetException());
            watcher.EnableRaisingEvents = true;

            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    await WaitForChangeAsync(changes.Reader, options.Value.RescanInterval, stoppingToken).ConfigureAwait(false);

                    // Wait until the tree has been quiet for a moment: an editor's save is several events.
                    do
                    {
                        changes.Reader.TryRead(out _);
                        await Task.Delay(options.Value.ReloadDebounce, stoppingToken).ConfigureAwait(false);
                    }
                    while (changes.Reader.TryPeek(out _));

                    try
                    {
                        await tree.ReloadAsync(stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // The watcher is a boundary: a failed rescan is reported and the next change retried.
                        RuntimeLog.ReloadFailed(logger, ex);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Returns at the first file event or after the rescan interval, whichever comes first.</summary>
    private static async Task WaitForChangeAsync(ChannelReader<bool> changes, TimeSpan interval, CancellationToken stoppingToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timer.CancelAfter(interval);
        try
        {
            await changes.WaitToReadAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The interval passed without an event: rescan anyway.
        }
    }

    private static bool IsNoise(string path) =>
        path.Contains("__pycache__", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}.", StringComparison.Ordinal)
        || path.EndsWith('~')
        || path.EndsWith(".tmp", StringComparison.Ordinal);
}
