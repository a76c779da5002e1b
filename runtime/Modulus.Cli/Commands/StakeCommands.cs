using System.CommandLine;
using System.Text.Json;
using Modulus.Client.Keys;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.RPC.Eth.DTOs;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus stake|unstake|withdraw|vote</c>: $GPT on modules, and stake-weighted votes.</summary>
internal static class StakeCommands
{
    public static IEnumerable<Command> Create(CliOutput output, Func<KeyRing> keyRing)
    {
        yield return Stake(output, keyRing);
        yield return Unstake(output, keyRing);
        yield return Withdraw(output, keyRing);
        yield return Vote(output, keyRing);
    }

    private static Command Stake(CliOutput output, Func<KeyRing> keyRing)
    {
        var module = new Argument<string>("module") { Description = "The module's name." };
        var amount = new Argument<string>("amount") { Description = "$GPT to stake, e.g. 100 or 0.5." };
        return Verb(output, keyRing, "stake", "Stake $GPT on a module (it counts for your votes from the next block).", [module, amount], async (parse, contracts, ct) =>
        {
            var value = ContractErrors.ParseGpt(parse.GetValue(amount)!);
            var receipt = await contracts.StakeAsync(parse.GetValue(module)!, value, ct).ConfigureAwait(false);
            var position = await contracts.PositionAsync(parse.GetValue(module)!, contracts.Account).ConfigureAwait(false);
            return ($"Staked {ContractErrors.Gpt(value)} $GPT on {parse.GetValue(module)}; your stake there: {ContractErrors.Gpt(position.Counting + position.NotYetCounting)} $GPT", receipt);
        });
    }

    private static Command Unstake(CliOutput output, Func<KeyRing> keyRing)
    {
        var module = new Argument<string>("module") { Description = "The module's name." };
        var amount = new Argument<string>("amount") { Description = "$GPT to unstake, e.g. 100 or 0.5." };
        return Verb(output, keyRing, "unstake", "Start the cooldown on part of your stake; it stops counting at once, `modulus withdraw` pays it out after the cooldown.", [module, amount], async (parse, contracts, ct) =>
        {
            var value = ContractErrors.ParseGpt(parse.GetValue(amount)!);
            var receipt = await contracts.RequestUnstakeAsync(parse.GetValue(module)!, value, ct).ConfigureAwait(false);
            var position = await contracts.PositionAsync(parse.GetValue(module)!, contracts.Account).ConfigureAwait(false);
            var unlocks = DateTimeOffset.FromUnixTimeSeconds((long)position.UnlocksAt);
            return ($"Unstaking {ContractErrors.Gpt(value)} $GPT from {parse.GetValue(module)}: withdraw it from {unlocks:u} with `modulus withdraw {parse.GetValue(module)}`", receipt);
        });
    }

    private static Command Withdraw(CliOutput output, Func<KeyRing> keyRing)
    {
        var module = new Argument<string>("module") { Description = "The module's name." };
        return Verb(output, keyRing, "withdraw", "Pay out the unstaked $GPT whose cooldown is over.", [module], async (parse, contracts, ct) =>
        {
            var before = await contracts.PositionAsync(parse.GetValue(module)!, contracts.Account).ConfigureAwait(false);
            var receipt = await contracts.WithdrawStakeAsync(parse.GetValue(module)!, ct).ConfigureAwait(false);
            return ($"Withdrew {ContractErrors.Gpt(before.Unstaking)} $GPT from {parse.GetValue(module)}", receipt);
        });
    }

    private static Command Vote(CliOutput output, Func<KeyRing> keyRing)
    {
        var direction = new Argument<string>("direction") { Description = "up or down." };
        direction.AcceptOnlyFromAmong("up", "down");
        var module = new Argument<string>("module") { Description = "The module's name." };
        return Verb(output, keyRing, "vote", "Vote a module up or down with your stake on it; voting again changes your vote.", [direction, module], async (parse, contracts, ct) =>
        {
            var way = parse.GetValue(direction) == "up" ? VoteDirection.Up : VoteDirection.Down;
            var receipt = await contracts.VoteAsync(parse.GetValue(module)!, way, ct).ConfigureAwait(false);
            var vote = await contracts.VoteOfAsync(parse.GetValue(module)!, contracts.Account).ConfigureAwait(false);
            var up = await contracts.UpWeightAsync(parse.GetValue(module)!).ConfigureAwait(false);
            var down = await contracts.DownWeightAsync(parse.GetValue(module)!).ConfigureAwait(false);
            return ($"Voted {parse.GetValue(direction)} on {parse.GetValue(module)} with {ContractErrors.Gpt(vote.Weight)} $GPT; the module now has {ContractErrors.Gpt(up)} up, {ContractErrors.Gpt(down)} down", receipt);
        });
    }

    private static Command Verb(
        CliOutput output,
        Func<KeyRing> keyRing,
        string name,
        string description,
        Argument[] arguments,
        Func<ParseResult, RegistryContracts, CancellationToken, Task<(string Summary, TransactionReceipt Receipt)>> action)
    {
        var access = new RegistryAccess();
        var json = CommonOptions.Json();
        var command = new Command(name, description);
        foreach (var argument in arguments)
        {
            command.Arguments.Add(argument);
        }

        access.AddSigningOptions(command);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, async () =>
        {
            // A bad amount is the user's typo: report it before unlocking a key or asking the chain.
            if (arguments.OfType<Argument<string>>().FirstOrDefault(a => a.Name == "amount") is { } amount)
            {
                ContractErrors.ParseGpt(parse.GetValue(amount)!);
            }

            var contracts = access.Signed(parse, output, keyRing(), out var exit);
            if (contracts is null)
            {
                return exit;
            }

            // The contracts know a module only by the hash of its name; say which name is unknown.
            var moduleName = parse.GetValue(arguments.OfType<Argument<string>>().Single(a => a.Name == "module"))!;
            if (!await contracts.IsClaimedAsync(moduleName).ConfigureAwait(false))
            {
                output.Error.WriteLine($"error: no module named \"{moduleName}\" is registered on chain {contracts.Deployment.ChainId}; `modulus search {moduleName}` finds published modules");
                return CliOutput.ExitFailure;
            }

            var (summary, receipt) = await action(parse, contracts, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new { summary, account = contracts.Account, transaction = receipt.TransactionHash, block = (long)receipt.BlockNumber.Value, gasUsed = (long)receipt.GasUsed.Value },
                    CliJson.Options));
            }
            else
            {
                output.Out.WriteLine(summary);
                output.Out.WriteLine($"  transaction {receipt.TransactionHash} in block {receipt.BlockNumber.Value}, gas {receipt.GasUsed.Value:N0}, from {contracts.Account}");
            }

            return 0;
        }));
        return command;
    }
}
