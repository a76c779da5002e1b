using Modulus.Registry.Index;
using Modulus.Registry.Packaging;

namespace Modulus.Registry.Service;

/// <summary>
/// What each address may make the store hold for names nobody owns yet: at most so many packages
/// and bytes that are still stored and that no published version references. A charged upload stops
/// counting once a version that references it is published (its name is then owned) or once
/// `modulus registry prune` deletes it. The charges are kept in the index file, so a restart of the
/// service does not reset them. A fresh key costs only a signature, so the quota is a brake on
/// careless or scripted floods between prunes, not an identity system.
/// </summary>
internal sealed class UploadQuota(RegistryIndex index, PackageStore store)
{
    // Check and charge are one step: two uploads by one address cannot both pass on the last slot.
    private readonly Lock _gate = new();

    /// <summary>Charges one package to <paramref name="address"/>; false (and nothing charged) when it would exceed either limit.</summary>
    public bool TryCharge(string address, string sha256, long size, long maxBytes, int maxPackages)
    {
        lock (_gate)
        {
            var charged = index.UploadsBy(address).Where(u => !string.Equals(u.Sha256, sha256, StringComparison.OrdinalIgnoreCase) && store.Contains(u.Sha256)).ToArray();
            if (charged.Length > 0)
            {
                var published = index.PublishedContentHashes();
                charged = charged.Where(u => !published.Contains(u.Sha256)).ToArray();
            }

            if (charged.Length + 1 > maxPackages || charged.Sum(u => u.Size) + size > maxBytes)
            {
                return false;
            }

            index.RecordUpload(address, new ChargedUpload(sha256.ToLowerInvariant(), size));
            return true;
        }
    }
}
