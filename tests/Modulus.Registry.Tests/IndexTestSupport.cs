using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Index;

namespace Modulus.Registry.Tests;

/// <summary>Package metadata the tests decide, by content hash: what the service reads out of stored packages.</summary>
internal sealed class MetadataTable : IPackageMetadataSource
{
    private readonly Dictionary<string, PackageMetadata> _byHash = new(StringComparer.Ordinal);

    public string Add(string description, params string[] tags)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        _byHash[hash] = new PackageMetadata(description, tags);
        return hash;
    }

    /// <summary>Metadata of a paid module's package.</summary>
    public string AddPaid(string description, string price)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        _byHash[hash] = new PackageMetadata(description, [], price);
        return hash;
    }

    public void Set(string hash, string description, params string[] tags) => _byHash[hash] = new PackageMetadata(description, tags);

    public PackageMetadata? Find(string sha256Hex) => _byHash.GetValueOrDefault(sha256Hex);
}

/// <summary>Reports on the calling thread, at once (<see cref="Progress{T}"/> posts, too late to stop a catch-up between batches).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>Events as the contracts would emit them, one block after another, for tests that need no chain.</summary>
internal sealed class EventScript
{
    public const string Alice = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    public const string Bob = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    public const string Carol = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

    public static readonly RegistryDeployment Deployment = new(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", 1);

    private int _logIndex;

    public List<RegistryEvent> Events { get; } = [];

    public long Block { get; private set; } = 2;

    public static string HashOf(string name) => Convert.ToHexStringLower(ModuleId.Of(name));

    public EventScript NextBlock()
    {
        Block++;
        _logIndex = 0;
        return this;
    }

    public EventScript Claim(string name, string owner) => Add(new RegistryEvent.NameClaimed(Block, _logIndex++, HashOf(name), name, owner));

    public EventScript Transfer(string name, string from, string to) => Add(new RegistryEvent.NameTransferred(Block, _logIndex++, HashOf(name), name, from, to));

    public EventScript Publish(string name, string version, string contentHash) =>
        Add(new RegistryEvent.VersionPublished(Block, _logIndex++, HashOf(name), name, version, contentHash, "sha256:" + contentHash));

    public EventScript Deprecate(string name, string version, string reason) => Add(new RegistryEvent.VersionDeprecated(Block, _logIndex++, HashOf(name), name, version, reason));

    public EventScript Announce(string name, string version, string host, string endpoint) => Add(new RegistryEvent.HostAnnounced(Block, _logIndex++, HashOf(name), name, version, host, endpoint));

    public EventScript Withdraw(string name, string version, string host) => Add(new RegistryEvent.HostWithdrawn(Block, _logIndex++, HashOf(name), name, version, host));

    public EventScript Stake(string name, string staker, BigInteger amount, BigInteger stake) => Add(new RegistryEvent.Staked(Block, _logIndex++, HashOf(name), staker, amount, stake));

    public EventScript Unstake(string name, string staker, BigInteger amount, BigInteger stake) => Add(new RegistryEvent.UnstakeRequested(Block, _logIndex++, HashOf(name), staker, amount, 0, stake));

    public EventScript Vote(string name, string voter, VoteDirection direction, BigInteger weight, BigInteger up, BigInteger down) =>
        Add(new RegistryEvent.Voted(Block, _logIndex++, HashOf(name), voter, direction, weight, up, down));

    private EventScript Add(RegistryEvent e)
    {
        Events.Add(e);
        return this;
    }
}
