using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Util;

namespace Modulus.Registry.Index;

/// <summary>Logs of the registry and staking contracts to <see cref="RegistryEvent"/>s.</summary>
internal sealed class RegistryEventDecoder(RegistryDeployment deployment)
{
    private static readonly Dictionary<string, Func<FilterLog, long, int, RegistryEvent>> RegistryEvents = new(StringComparer.OrdinalIgnoreCase)
    {
        [Topic<NameClaimedEvent>()] = (log, block, index) => Map(log, (NameClaimedEvent e) =>
            new RegistryEvent.NameClaimed(block, index, Hex(e.NameHash), e.Name, Address(e.Owner))),
        [Topic<NameTransferredEvent>()] = (log, block, index) => Map(log, (NameTransferredEvent e) =>
            new RegistryEvent.NameTransferred(block, index, Hex(e.NameHash), e.Name, Address(e.From), Address(e.To))),
        [Topic<VersionPublishedEvent>()] = (log, block, index) => Map(log, (VersionPublishedEvent e) =>
            new RegistryEvent.VersionPublished(block, index, Hex(e.NameHash), e.Name, e.Version, Hex(e.ContentHash), e.PackageUri)),
        [Topic<VersionDeprecatedEvent>()] = (log, block, index) => Map(log, (VersionDeprecatedEvent e) =>
            new RegistryEvent.VersionDeprecated(block, index, Hex(e.NameHash), e.Name, e.Version, e.Reason)),
        [Topic<HostAnnouncedEvent>()] = (log, block, index) => Map(log, (HostAnnouncedEvent e) =>
            new RegistryEvent.HostAnnounced(block, index, Hex(e.NameHash), e.Name, e.Version, Address(e.Host), e.Endpoint)),
        [Topic<HostWithdrawnEvent>()] = (log, block, index) => Map(log, (HostWithdrawnEvent e) =>
            new RegistryEvent.HostWithdrawn(block, index, Hex(e.NameHash), e.Name, e.Version, Address(e.Host))),
    };

    private static readonly Dictionary<string, Func<FilterLog, long, int, RegistryEvent>> StakingEvents = new(StringComparer.OrdinalIgnoreCase)
    {
        [Topic<StakedEvent>()] = (log, block, index) => Map(log, (StakedEvent e) =>
            new RegistryEvent.Staked(block, index, Hex(e.Module), Address(e.Staker), e.Amount, e.Stake)),
        [Topic<UnstakeRequestedEvent>()] = (log, block, index) => Map(log, (UnstakeRequestedEvent e) =>
            new RegistryEvent.UnstakeRequested(block, index, Hex(e.Module), Address(e.Staker), e.Amount, e.UnlocksAt, e.Stake)),
        [Topic<WithdrawnEvent>()] = (log, block, index) => Map(log, (WithdrawnEvent e) =>
            new RegistryEvent.StakeWithdrawn(block, index, Hex(e.Module), Address(e.Staker), e.Amount)),
        [Topic<VotedEvent>()] = (log, block, index) => Map(log, (VotedEvent e) =>
            new RegistryEvent.Voted(block, index, Hex(e.Module), Address(e.Voter), (VoteDirection)e.Direction, e.Weight, e.UpWeight, e.DownWeight)),
    };

    /// <summary>The event of a log; null for a log the index has no use for (NameCommitted), or from another contract.</summary>
    public RegistryEvent? Decode(FilterLog log)
    {
        if (log.Removed || log.Topics is not { Length: > 0 } || log.Topics[0]?.ToString() is not { } topic)
        {
            return null;
        }

        var decoders = AddressUtil.Current.AreAddressesTheSame(log.Address, deployment.Registry) ? RegistryEvents
            : AddressUtil.Current.AreAddressesTheSame(log.Address, deployment.Staking) ? StakingEvents
            : null;
        return decoders is not null && decoders.TryGetValue(Strip(topic), out var decode)
            ? decode(log, (long)log.BlockNumber.Value, (int)log.LogIndex.Value)
            : null;
    }

    private static RegistryEvent Map<TEvent>(FilterLog log, Func<TEvent, RegistryEvent> map)
        where TEvent : new() => map(log.DecodeEvent<TEvent>().Event);

    private static string Topic<TEvent>() => Strip(ABITypedRegistry.GetEvent<TEvent>().Sha3Signature);

    private static string Strip(string hex) => hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string Address(string address) => AddressUtil.Current.ConvertToChecksumAddress(address);
}
