using System.Numerics;
using Modulus.Modules;
using Modulus.Registry.Contracts;
using Nethereum.Contracts;

namespace Modulus.Registry.Chain;

/// <summary>Turns a contract's custom error into a sentence a user can act on.</summary>
public static class ContractErrors
{
    /// <summary>The error in words, or a generic sentence with the raw data when it is not one of the registry's.</summary>
    public static string Describe(SmartContractCustomErrorRevertException ex)
    {
        string? Try<TError>(Func<TError, string> describe) where TError : class, new() =>
            ex.IsCustomErrorFor<TError>() ? describe(ex.DecodeError<TError>()) : null;

        return Try<NameTakenError>(e => $"the name \"{e.Name}\" is already claimed by another account; publish under another name (--name)")
            ?? Try<InvalidNameError>(e => $"\"{e.Name}\" is not a valid module name: use dotted lowercase parts of a-z, 0-9, '_' and '-', e.g. text.tokenize")
            ?? Try<NoCommitmentError>(_ => "no commitment for this claim from this account; claim again (commit, then reveal in a later block)")
            ?? Try<CommitmentTooNewError>(e => $"the claim was revealed in block {e.CommittedAt}, the block of its commitment; reveal from block {e.RevealableAt} on")
            ?? Try<CommitmentExpiredError>(e => $"the name commitment expired (made at unix time {e.CommittedAt}, expired at {e.ExpiredAt}); claim again")
            ?? Try<NotOwnerError>(e => $"module \"{e.Name}\" belongs to {e.Owner}; only its owner may do this (sign with that key via --key)")
            ?? Try<UnknownNameError>(e => $"no module named \"{e.Name}\" is registered; `modulus publish` claims it")
            ?? Try<VersionExistsError>(e => $"{e.Name}@{e.Version} is already published and versions are immutable; raise \"version\" in module.json")
            ?? Try<UnknownVersionError>(e => $"{e.Name}@{e.Version} is not published; `modulus info {e.Name} --registry` lists its versions")
            ?? Try<InvalidVersionError>(e => $"\"{e.Version}\" is not a semantic version; use MAJOR.MINOR.PATCH, e.g. 1.0.0 or 1.2.0-rc.1")
            ?? Try<EmptyContentHashError>(_ => "the content hash is empty")
            ?? Try<EmptyEndpointError>(_ => "the endpoint is empty; announce a URL such as grpc://HOST:7050")
            ?? Try<NotAnnouncedError>(e => $"{e.Host} has not announced {e.Name}@{e.Version}; nothing to withdraw")
            ?? Try<ZeroAddressError>(_ => "the address is the zero address")
            ?? Try<UnknownModuleError>(e => $"no module with id 0x{Convert.ToHexStringLower(e.Module)} is registered; check the name")
            ?? Try<ZeroAmountError>(_ => "the amount is zero; give a positive amount of $GPT")
            ?? Try<InsufficientStakeError>(e => $"you have {Gpt(e.Available)} $GPT staked there, less than the {Gpt(e.Requested)} asked for")
            ?? Try<NothingToWithdrawError>(_ => "nothing to withdraw: request an unstake first (`modulus unstake`)")
            ?? Try<CooldownNotOverError>(e => $"the unstake cooldown is not over: withdrawable from {DateTimeOffset.FromUnixTimeSeconds((long)e.UnlocksAt):u} (chain time now {DateTimeOffset.FromUnixTimeSeconds((long)e.NowTime):u})")
            ?? Try<NoStakeError>(_ => "you have no counting stake on this module: stake first (`modulus stake`); a stake counts from the block after it")
            ?? Try<VoteUnchangedError>(e => $"your vote is already {(VoteDirection)e.Direction} with this weight; nothing changed")
            ?? Try<NoCountingStakeError>(e => $"no stake counts on module 0x{Convert.ToHexStringLower(e.Module)} yet, so there is nobody to distribute rewards to")
            ?? Try<NotEscrowError>(e => $"{e.Caller} is not the call escrow; only the escrow credits rewards without transferring them in (`distribute` takes anyone's)")
            ?? Try<NothingToClaimError>(_ => "no rewards to claim on this module: stake on a module whose calls are paid, and claim after a redemption")
            ?? Try<InsufficientBalanceError>(e => $"the escrow holds {Gpt(e.Available)} $GPT of yours for this host, less than the {Gpt(e.Requested)} asked to thaw")
            ?? Try<NothingThawingError>(_ => "nothing is thawing for this host: start a withdrawal first (thaw), then withdraw after the thaw period")
            ?? Try<ThawNotOverError>(e => $"the thaw is not over: withdrawable from {DateTimeOffset.FromUnixTimeSeconds((long)e.ThawEndsAt):u} (chain time now {DateTimeOffset.FromUnixTimeSeconds((long)e.NowTime):u}), so the host can redeem what it was promised first")
            ?? Try<InvalidSignerError>(e => $"{e.Signer} cannot be a signer: give another address than the zero address and your own (your own key always signs)")
            ?? Try<SignerAlreadyAuthorizedError>(e => $"{e.Signer} is already authorized to sign your vouchers")
            ?? Try<SignerNotAuthorizedError>(e => $"{e.Signer} is not an authorized signer of yours (or its revocation is already under way)")
            ?? Try<LengthMismatchError>(e => $"{e.Vouchers} vouchers but {e.Signatures} signatures; give one signature per voucher")
            ?? Try<NotReceiverError>(e => $"voucher {e.Index} is addressed to {e.Receiver}, not to {e.Caller}; only a voucher's receiver redeems it (sign with that key via --key)")
            ?? Try<UnknownModuleNameError>(e => $"no module named \"{e.Name}\" is registered; `modulus publish` claims it")
            ?? Try<NotModuleOwnerError>(e => $"module \"{e.Name}\" belongs to {e.Owner}; only its owner sets its shares (sign with that key via --key)")
            ?? Try<HostShareTooLowError>(e => $"a host share of {e.HostBps / 100.0:0.##}% is below the minimum of {e.MinHostBps / 100.0:0.##}%: the host does the work of every call")
            ?? Try<StakersShareTooHighError>(e => $"a stakers' share of {e.StakersBps / 100.0:0.##}% is above the maximum of {e.MaxStakersBps / 100.0:0.##}%")
            ?? Try<SharesOverTotalError>(e => $"host {e.HostBps / 100.0:0.##}% plus stakers {e.StakersBps / 100.0:0.##}% is more than 100%")
            ?? Try<StakingForAnotherEscrowError>(e => $"the staking contract was deployed for the escrow at {e.Escrow}, not for this one; deploy the staking contract and the escrow together (`modulus chain up`)")
            ?? Try<StakeStoppedCountingError>(e => $"the staking contract refused the stakers' share of module 0x{Convert.ToHexStringLower(e.Module)} after taking a part of it in the same batch; redeem again")
            ?? Try<Erc20InsufficientBalanceError>(e => $"{e.Sender} holds {Gpt(e.Balance)} $GPT, less than the {Gpt(e.Needed)} needed")
            ?? Try<AccessControlUnauthorizedAccountError>(e => $"{e.Account} lacks the role this needs")
            ?? $"the contract reverted ({ex.Message})";
    }

    /// <summary>A token amount (18 decimals) in $GPT, without trailing zeros.</summary>
    public static string Gpt(BigInteger amount) => GptAmount.Format(amount);

    /// <summary>Parses a $GPT amount such as 100 or 0.5 into the token's smallest unit.</summary>
    /// <exception cref="FormatException">Not an amount; the message says what to write.</exception>
    public static BigInteger ParseGpt(string text) => GptAmount.Parse(text);
}
