using LiteDB;

namespace Modulus.Registry.Index;

/// <summary>A package the service stored for a name nobody owned yet, charged to the address that signed the upload.</summary>
/// <param name="Sha256">The package's hash (lowercase hex), as the store names it.</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record ChargedUpload(string Sha256, long Size);

public sealed partial class RegistryIndex
{
    /// <summary>
    /// The uploads charged to <paramref name="uploader"/>'s quota for unclaimed names. Not derived
    /// from the chain, so kept apart from it: <see cref="Reset"/> and a newer layout keep them, and
    /// <see cref="ExportCanonical"/> leaves them out. Only a rebuilt file (a corrupt one moved
    /// aside) starts without them.
    /// </summary>
    public IReadOnlyList<ChargedUpload> UploadsBy(string uploader)
    {
        ArgumentException.ThrowIfNullOrEmpty(uploader);
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _uploads.Find(Query.EQ(Fields.Uploader, uploader.ToLowerInvariant()))
                .Select(d => new ChargedUpload(d["_id"].AsString, d[Fields.Size].AsInt64))
                .ToArray();
        }
    }

    /// <summary>Records an upload charged to <paramref name="uploader"/>, durably (committed before this returns).</summary>
    public void RecordUpload(string uploader, ChargedUpload upload)
    {
        ArgumentException.ThrowIfNullOrEmpty(uploader);
        ArgumentNullException.ThrowIfNull(upload);
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _uploads.Upsert(new BsonDocument
            {
                ["_id"] = upload.Sha256.ToLowerInvariant(),
                [Fields.Uploader] = uploader.ToLowerInvariant(),
                [Fields.Size] = upload.Size,
            });
        }
    }

    /// <summary>Forgets the charges of packages no longer stored (after <c>registry prune</c> deleted them).</summary>
    /// <returns>How many charges were forgotten.</returns>
    public int ForgetUploads(IEnumerable<string> sha256s)
    {
        ArgumentNullException.ThrowIfNull(sha256s);
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return sha256s.Count(sha => _uploads.Delete(sha.ToLowerInvariant()));
        }
    }
}
