using NuGet.Configuration;
using NuGet.Protocol.Core.Types;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>The state of one restore: NuGet's source cache context, the log, and the sources that failed.</summary>
internal sealed class RestoreSession : IDisposable
{
    private readonly Dictionary<string, (PackageSource Source, string Reason)> _unreachable = new(StringComparer.Ordinal);

    /// <summary>Starts a session.</summary>
    /// <param name="noHttpCache">Whether NuGet's HTTP cache is bypassed.</param>
    public RestoreSession(bool noHttpCache)
    {
        // DirectDownload: packages go straight into the module cache; keeping a second copy in NuGet's
        // HTTP cache would only cost disk.
        SourceCache = new SourceCacheContext { DirectDownload = true, NoCache = noHttpCache };
    }

    /// <summary>NuGet's per-operation cache settings.</summary>
    public SourceCacheContext SourceCache { get; }

    /// <summary>What the restore did, package by package.</summary>
    public List<PackageRestoreLogEntry> Log { get; } = [];

    /// <summary>The sources that could not be used, with NuGet's reason.</summary>
    public IReadOnlyCollection<(PackageSource Source, string Reason)> Unreachable => _unreachable.Values;

    /// <summary>Records that <paramref name="source"/> failed, so it is not asked again in this session.</summary>
    public void MarkUnreachable(PackageSource source, Exception error)
    {
        // NuGet's outer message says which request failed; the innermost one says why (refused, timed out, 401).
        var reason = error.Message;
        var inner = error.InnerException;
        while (inner is not null)
        {
            if (inner.InnerException is null && !reason.Contains(inner.Message, StringComparison.Ordinal))
            {
                reason += $" ({inner.Message})";
            }

            inner = inner.InnerException;
        }

        _unreachable.TryAdd(source.Source, (source, reason));
    }

    /// <summary>Whether <paramref name="source"/> already failed in this session.</summary>
    public bool IsUnreachable(PackageSource source) => _unreachable.ContainsKey(source.Source);

    /// <inheritdoc />
    public void Dispose() => SourceCache.Dispose();
}
