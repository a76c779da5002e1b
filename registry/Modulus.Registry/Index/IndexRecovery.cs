using System.Globalization;
using LiteDB;
using Microsoft.Extensions.Logging;
using Modulus.Registry.Chain;

namespace Modulus.Registry.Index;

/// <summary>
/// Opens the registry index, and when the file cannot be read (cut short, overwritten, a page that
/// LiteDB cannot decode) moves it aside as <c>index.db.corrupt-TIME</c> and starts an empty one: the
/// index is derived from the chain, so the follower rebuilds it, and the damaged file is kept for
/// whoever wants to know what happened. A file that is whole but belongs to another deployment or a
/// newer Modulus is not corruption and is never moved: that still fails, saying so.
/// </summary>
public static partial class IndexRecovery
{
    /// <summary>Opens <paramref name="path"/>, rebuilding it when it is corrupt.</summary>
    /// <exception cref="IndexDeploymentMismatchException">The file indexes another chain or other contracts.</exception>
    /// <exception cref="IOException">Another index instance or process has the file open.</exception>
    public static RegistryIndex OpenOrRebuild(string path, RegistryDeployment deployment, IPackageMetadataSource? metadata, ILogger logger, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        try
        {
            return RegistryIndex.Open(path, deployment, metadata);
        }
        catch (Exception ex) when (IsCorruption(ex))
        {
            var full = Path.GetFullPath(path);
            var stamp = (clock ?? TimeProvider.System).GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            var aside = $"{full}.corrupt-{stamp}";
            File.Move(full, aside, overwrite: true);
            // LiteDB's write-ahead log belongs to the file it was written for; replayed into a new one it would corrupt it again.
            var log = LogFileOf(full);
            if (File.Exists(log))
            {
                File.Move(log, LogFileOf(aside), overwrite: true);
            }

            IndexCorrupt(logger, full, ex.GetType().Name, ex.Message, aside);
            return RegistryIndex.Open(full, deployment, metadata);
        }
    }

    /// <summary>
    /// What reading a damaged LiteDB file throws: its own exception, or whatever decoding garbage
    /// pages leads to. The lock held by another process (IOException), another deployment's index and
    /// a newer layout (InvalidOperationException) are not among them.
    /// </summary>
    private static bool IsCorruption(Exception ex) => ex is LiteException
        or InvalidCastException
        or IndexOutOfRangeException
        or ArgumentOutOfRangeException
        or EndOfStreamException
        or OverflowException
        or NullReferenceException
        or KeyNotFoundException
        or FormatException
        or System.Text.DecoderFallbackException;

    private static string LogFileOf(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "-log" + Path.GetExtension(path));

    [LoggerMessage(Level = LogLevel.Warning, EventName = "IndexCorrupt", Message = "The registry index {Path} is corrupt ({Exception}: {Reason}); moved it aside to {Aside} and rebuilding it from the chain")]
    private static partial void IndexCorrupt(ILogger logger, string path, string exception, string reason, string aside);
}
