namespace Modulus.Registry.Service;

/// <summary>
/// What each address has uploaded for names nobody owns yet, in this run of the service. Kept in
/// memory: it bounds what one key can make the store hold between prunes (`modulus registry prune`
/// removes what no version references), and a fresh key costs only a signature, so the quota is a
/// brake on careless or scripted floods, not an identity system.
/// </summary>
internal sealed class UploadQuota
{
    private readonly Dictionary<string, (int Packages, long Bytes)> _used = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    /// <summary>Charges one package of <paramref name="size"/> bytes to <paramref name="address"/>; false (and nothing charged) when it would exceed either limit.</summary>
    public bool TryCharge(string address, long size, long maxBytes, int maxPackages)
    {
        lock (_gate)
        {
            var (packages, bytes) = _used.GetValueOrDefault(address);
            if (packages + 1 > maxPackages || bytes + size > maxBytes)
            {
                return false;
            }

            _used[address] = (packages + 1, bytes + size);
            return true;
        }
    }
}
