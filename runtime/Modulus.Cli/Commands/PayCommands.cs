using System.CommandLine;
using System.Numerics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Modulus.Client.Keys;
using Modulus.Hosting;
using Modulus.Modules;
using Modulus.Protocol.Signing;
using Modulus.Registry;
using Modulus.Registry.Chain;
using Modulus.Registry.Payments;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Cli.Commands;

/// <summary>
/// Paid calls from the command line: <c>modulus pay deposit|status|withdraw|authorize|revoke</c> for a
/// payer, <c>modulus earnings</c> and <c>modulus redeem</c> for a host, <c>modulus claim</c> for a staker.
/// Thin over <see cref="EscrowPayments"/>, the ledger and the redeemer.
/// </summary>
internal static class PayCommands
{
    public static IEnumerable<Command> Create(CliOutput output, Func<KeyRing> keyRing)
    {
        var pay = new Command("pay", "Pay for calls to paid modules: deposit $GPT in the escrow for a host, see it, withdraw it, authorize signer keys.");
        pay.Subcommands.Add(Deposit(output, keyRing));
        pay.Subcommands.Add(Status(output, keyRing));
        pay.Subcommands.Add(Withdraw(output, keyRing));
        pay.Subcommands.Add(Authorize(output, keyRing));
        pay.Subcommands.Add(Revoke(output, keyRing));
        yield return pay;
        yield return Earnings(output);
        yield return Redeem(output);
        yield return Claim(output, keyRing);
    }

    private static Command Deposit(CliOutput output, Func<KeyRing> keyRing)
    {
        var receiver = new Argument<string>("receiver") { Description = "The host's address (it is in `modulus info` of a paid module's host, and in the host's log)." };
        var amount = new Argument<string>("amount") { Description = "$GPT to deposit, e.g. 10 or 0.5." };
        return Payer(output, keyRing, "deposit", "Deposit $GPT in the escrow for a host; vouchers you sign to it are paid from it.", [receiver, amount], async (parse, payments, ct) =>
        {
            var value = GptAmount.Parse(parse.GetValue(amount)!);
            await payments.DepositAsync(parse.GetValue(receiver)!, value, ct).ConfigureAwait(false);
            var status = await payments.StatusAsync(parse.GetValue(receiver), ct).ConfigureAwait(false);
            var account = status.Accounts.Single();
            return new Summary($"Deposited {GptAmount.Format(value)} $GPT for {account.Receiver}; the escrow holds {GptAmount.Format(account.Balance)} $GPT of yours for it",
                new { payer = payments.Account, receiver = account.Receiver, deposited = GptAmount.ToDecimalString(value), balance = GptAmount.ToDecimalString(account.Balance) });
        });
    }

    private static Command Status(CliOutput output, Func<KeyRing> keyRing)
    {
        var receiver = new Argument<string?>("receiver") { Description = "One host's address; every host you deposited for when left out.", Arity = ArgumentArity.ZeroOrOne };
        var json = CommonOptions.Json();
        var access = new RegistryAccess();
        var command = new Command("status", "Show your escrow: balance and thawing amount per host, and your signer keys.") { receiver, json };
        access.AddSigningOptions(command);
        command.SetAction((parse, ct) => ChainAction.RunAsync(output, async () =>
        {
            var payments = Signed(parse, access, output, keyRing, out var exit);
            if (payments is null)
            {
                return exit;
            }

            var status = await payments.StatusAsync(parse.GetValue(receiver), ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    payer = status.Payer,
                    thaw_period_seconds = (long)status.ThawPeriod.TotalSeconds,
                    accounts = status.Accounts.Select(a => new { receiver = a.Receiver, balance = GptAmount.ToDecimalString(a.Balance), thawing = GptAmount.ToDecimalString(a.Thawing), thaw_ends_at = a.ThawEndsAt }),
                    signers = status.Signers.Select(s => new { signer = s.Signer, revoked_until = s.RevokedUntil }),
                }, CliJson.Options));
                return 0;
            }

            output.Out.WriteLine($"Escrow of {status.Payer} (withdrawals and revocations thaw for {status.ThawPeriod.TotalHours:0.##} h):");
            var table = new TableWriter("RECEIVER", "BALANCE", "THAWING", "WITHDRAWABLE FROM");
            foreach (var a in status.Accounts)
            {
                table.Add(a.Receiver, GptAmount.Format(a.Balance), GptAmount.Format(a.Thawing), a.ThawEndsAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-");
            }

            table.Write(output.Out);
            if (status.Signers.Count > 0)
            {
                output.Out.WriteLine();
                var signers = new TableWriter("SIGNER", "STATE");
                foreach (var s in status.Signers)
                {
                    signers.Add(s.Signer, s.RevokedUntil is { } until ? $"revoked, valid until {until:u}" : "authorized");
                }

                signers.Write(output.Out);
            }

            return 0;
        }));
        return command;
    }

    private static Command Withdraw(CliOutput output, Func<KeyRing> keyRing)
    {
        var receiver = new Argument<string>("receiver") { Description = "The host's address." };
        var amount = new Option<string?>("--amount") { Description = "$GPT to thaw; all of the balance when left out." };
        return Payer(output, keyRing, "withdraw", "Withdraw from the escrow: the first run starts the thaw (the host may still redeem what it was promised), a run after the thaw period pays out.", [receiver], async (parse, payments, ct) =>
        {
            var host = parse.GetValue(receiver)!;
            var account = (await payments.StatusAsync(host, ct).ConfigureAwait(false)).Accounts.Single();
            if (!account.Thawing.IsZero && account.ThawEndsAt <= DateTimeOffset.UtcNow)
            {
                var (paid, left) = await payments.WithdrawAsync(host, ct).ConfigureAwait(false);
                return new Summary($"Withdrew {GptAmount.Format(paid)} $GPT; {GptAmount.Format(left)} $GPT stays in the escrow for {host}",
                    new { receiver = host, withdrawn = GptAmount.ToDecimalString(paid), balance = GptAmount.ToDecimalString(left) });
            }

            if (!account.Thawing.IsZero && parse.GetValue(amount) is null)
            {
                // A thaw under way: withdrawing now is the contract's refusal, in its words.
                await payments.WithdrawAsync(host, ct).ConfigureAwait(false);
            }

            var value = parse.GetValue(amount) is { } text ? GptAmount.Parse(text) : (BigInteger?)null;
            var (thawing, endsAt) = await payments.ThawAsync(host, value, ct).ConfigureAwait(false);
            return new Summary($"Thawing {GptAmount.Format(thawing)} $GPT: run `modulus pay withdraw {host}` again from {endsAt:u}; until then it still pays the host's vouchers",
                new { receiver = host, thawing = GptAmount.ToDecimalString(thawing), thaw_ends_at = endsAt });
        }, amount);
    }

    private static Command Authorize(CliOutput output, Func<KeyRing> keyRing)
    {
        var signer = new Argument<string>("signer") { Description = "The address of the key that will sign vouchers for you (a hot key)." };
        return Payer(output, keyRing, "authorize", "Let another key sign vouchers paid from your escrow.", [signer], async (parse, payments, ct) =>
        {
            await payments.AuthorizeSignerAsync(parse.GetValue(signer)!, ct).ConfigureAwait(false);
            return new Summary($"{parse.GetValue(signer)} may now sign vouchers for {payments.Account}", new { payer = payments.Account, signer = parse.GetValue(signer) });
        });
    }

    private static Command Revoke(CliOutput output, Func<KeyRing> keyRing)
    {
        var signer = new Argument<string>("signer") { Description = "The signer's address." };
        return Payer(output, keyRing, "revoke", "Revoke a signer key; vouchers it signed stay redeemable until the thaw period ends.", [signer], async (parse, payments, ct) =>
        {
            var until = await payments.RevokeSignerAsync(parse.GetValue(signer)!, ct).ConfigureAwait(false);
            return new Summary($"Revoked {parse.GetValue(signer)}; hosts may redeem what it signed until {until:u}", new { payer = payments.Account, signer = parse.GetValue(signer), valid_until = until });
        });
    }

    private static Command Claim(CliOutput output, Func<KeyRing> keyRing)
    {
        var module = new Argument<string>("module") { Description = "The module you stake on." };
        return Payer(output, keyRing, "claim", "Claim your share, as a staker, of what the module's paid calls earned.", [module], async (parse, payments, ct) =>
        {
            var claimed = await payments.ClaimAsync(parse.GetValue(module)!, ct).ConfigureAwait(false);
            return new Summary($"Claimed {GptAmount.Format(claimed)} $GPT from {parse.GetValue(module)}", new { staker = payments.Account, module = parse.GetValue(module), claimed = GptAmount.ToDecimalString(claimed) });
        });
    }

    private static Command Earnings(CliOutput output)
    {
        var ledger = LedgerOption();
        var json = CommonOptions.Json();
        var command = new Command("earnings", "Show what this host has earned from paid calls, per module and payer, from its voucher ledger: served, owed (unredeemed) and redeemed.") { ledger, json };
        command.SetAction(parse =>
        {
            var path = LedgerPath(parse, ledger);
            if (VoucherLedger.NotAFile(path) is { } notAFile)
            {
                return output.Usage(notAFile);
            }

            if (!File.Exists(path))
            {
                return output.Usage($"no voucher ledger at {path}: this host has served no paid call yet (or pass --ledger FILE)");
            }

            VoucherLedger book;
            try
            {
                book = VoucherLedger.ReadOnly(path);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return output.Failure(ex is InvalidDataException ? ex.Message : $"cannot read the voucher ledger {path} ({ex.Message.TrimEnd('.')})");
            }

            WarnDamaged(output, book);
            var entries = book.Entries;
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(entries.Select(e => new
                {
                    module = e.Module, payer = e.Payer, calls = e.Calls, served = GptAmount.ToDecimalString(e.Served),
                    voucher = GptAmount.ToDecimalString(e.Voucher), redeemed = GptAmount.ToDecimalString(e.Redeemed), owed = GptAmount.ToDecimalString(e.Unredeemed),
                }), CliJson.Options));
                return 0;
            }

            var table = new TableWriter("MODULE", "PAYER", "CALLS", "SERVED", "OWED", "REDEEMED");
            foreach (var e in entries)
            {
                table.Add(e.Module, e.Payer, e.Calls.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), GptAmount.Format(e.Served), GptAmount.Format(e.Unredeemed), GptAmount.Format(e.Redeemed));
            }

            table.Write(output.Out);
            var owed = entries.Aggregate(BigInteger.Zero, (sum, e) => sum + e.Unredeemed);
            var redeemed = entries.Aggregate(BigInteger.Zero, (sum, e) => sum + e.Redeemed);
            output.Out.WriteLine($"owed {GptAmount.Format(owed)} $GPT, redeemed {GptAmount.Format(redeemed)} $GPT (amounts before the split with the module's owner and stakers)");
            return 0;
        });
        return command;
    }

    private static Command Redeem(CliOutput output)
    {
        var ledger = LedgerOption();
        var json = CommonOptions.Json();
        var chunk = new Option<int>("--chunk") { Description = "Vouchers per transaction.", DefaultValueFactory = _ => EscrowPayments.DefaultChunkSize };
        var keyFile = new Option<string?>("--host-key") { Description = "The host's key file (Modulus:Identity:KeyFile; default $MODULUS_HOME/host.key): the vouchers' receiver, which alone may redeem them." };
        var access = new RegistryAccess();
        var command = new Command("redeem", "Redeem this host's vouchers on chain now (a running host redeems by itself past its threshold, and on shutdown).") { ledger, chunk, keyFile, json };
        access.AddChainOptions(command);
        command.SetAction((parse, ct) => ChainAction.RunAsync(output, async () =>
        {
            var size = parse.GetValue(chunk);
            if (size < 1)
            {
                return output.Usage($"--chunk {size} must be at least 1");
            }

            var (deployment, rpcUrl) = access.Chain(parse);
            var key = ReadHostKey(parse.GetValue(keyFile) ?? new ModulusIdentityOptions { KeyFile = CliConfiguration.Build()["Modulus:Identity:KeyFile"] }.KeyFilePath());
            var web3 = new Web3(new Account(new Nethereum.Signer.EthECKey(key, isPrivate: true), deployment.ChainId), rpcUrl);
            web3.TransactionManager.UseLegacyAsDefault = true;
            var payments = EscrowPayments.For(web3, deployment);
            VoucherLedger book;
            var path = LedgerPath(parse, ledger);
            if (VoucherLedger.NotAFile(path) is { } notAFile)
            {
                return output.Usage(notAFile);
            }

            try
            {
                book = VoucherLedger.Open(path);
            }
            catch (InvalidDataException ex)
            {
                return output.Failure(ex.Message);
            }
            catch (IOException ex)
            {
                return output.Failure($"cannot open the voucher ledger {path} ({ex.Message.TrimEnd('.')}); a running host holds it and redeems by itself (its threshold, and on shutdown)");
            }

            WarnDamaged(output, book);

            var options = Options.Create(new PaymentOptions { RedeemChunkSize = size });
            using var gate = new EscrowPaymentGate(new HostIdentity(payments.Account, (ulong)deployment.ChainId), payments.Contracts, book, options, TimeProvider.System, NullLogger<EscrowPaymentGate>.Instance);
            var redeemer = new VoucherRedeemer(gate, payments, options, TimeProvider.System, NullLogger<VoucherRedeemer>.Instance);
            var report = await redeemer.RedeemAllAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    host = payments.Account,
                    paid = GptAmount.ToDecimalString(report.Paid),
                    transactions = report.Transactions,
                    vouchers = report.Items.Select(i => new { payer = i.Voucher.Payer, module = i.Voucher.Module, cumulative = GptAmount.ToDecimalString(i.Voucher.CumulativeAmount), outcome = i.Outcome.ToString().ToLowerInvariant(), paid = GptAmount.ToDecimalString(i.Paid), reason = i.Reason }),
                }, CliJson.Options));
            }
            else
            {
                if (report.Items.Count == 0)
                {
                    output.Out.WriteLine($"Nothing to redeem: every voucher in {path} is redeemed");
                    return 0;
                }

                var table = new TableWriter("MODULE", "PAYER", "VOUCHER", "OUTCOME", "PAID");
                foreach (var i in report.Items)
                {
                    table.Add(i.Voucher.Module, i.Voucher.Payer, GptAmount.Format(i.Voucher.CumulativeAmount), i.Outcome == RedeemOutcome.Paid ? "paid" : $"{i.Outcome.ToString().ToLowerInvariant()}: {i.Reason}", GptAmount.Format(i.Paid));
                }

                table.Write(output.Out);
                output.Out.WriteLine($"Redeemed {GptAmount.Format(report.Paid)} $GPT in {report.Transactions.Count} transactions to {payments.Account}");
            }

            return report.Items.Any(i => i.Outcome == RedeemOutcome.Failed) ? CliOutput.ExitFailure : 0;
        }));
        return command;
    }

    /// <summary>The host's private key from its key file (64 hex digits, optionally 0x-prefixed).</summary>
    internal static byte[] ReadHostKey(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException(RegistryErrorCode.InvalidArgument, $"cannot read the host key {path} ({ex.Message.TrimEnd('.')}); pass --host-key FILE");
        }

        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        return hex.Length == 64 && hex.All(char.IsAsciiHexDigit)
            ? Convert.FromHexString(hex)
            : throw new RegistryException(RegistryErrorCode.InvalidArgument, $"the host key {path} is not 64 hex digits");
    }

    private static Option<string?> LedgerOption() => new("--ledger") { Description = "The host's voucher ledger (Modulus:Payments:LedgerFile; default $MODULUS_HOME/payments/vouchers.log)." };

    private static void WarnDamaged(CliOutput output, VoucherLedger book)
    {
        if (book.DamagedLines.Count > 0)
        {
            output.Error.WriteLine($"warning: the voucher ledger {book.Path} has {book.DamagedLines.Count} damaged record(s), at line(s) {string.Join(", ", book.DamagedLines.Take(10))}{(book.DamagedLines.Count > 10 ? ", ..." : "")}: skipped; " +
                "a later record of the same payer and module supersedes each, but what a damaged last record held may be missing below");
        }
    }

    private static string LedgerPath(ParseResult parse, Option<string?> ledger) =>
        parse.GetValue(ledger) ?? new PaymentOptions { LedgerFile = CliConfiguration.Build()["Modulus:Payments:LedgerFile"] }.LedgerPath;

    private sealed record Summary(string Text, object Json);

    private static EscrowPayments? Signed(ParseResult parse, RegistryAccess access, CliOutput output, Func<KeyRing> keyRing, out int exit)
    {
        var contracts = access.Signed(parse, output, keyRing(), out exit);
        return contracts is null ? null : EscrowPayments.For(contracts.Web3, contracts.Deployment);
    }

    private static Command Payer(CliOutput output, Func<KeyRing> keyRing, string name, string description, Argument[] arguments,
        Func<ParseResult, EscrowPayments, CancellationToken, Task<Summary>> action, params Option[] options)
    {
        var access = new RegistryAccess();
        var json = CommonOptions.Json();
        var command = new Command(name, description);
        foreach (var argument in arguments)
        {
            command.Arguments.Add(argument);
        }

        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        access.AddSigningOptions(command);
        command.Options.Add(json);
        command.SetAction((parse, ct) => ChainAction.RunAsync(output, async () =>
        {
            // A bad amount is the user's typo: report it before unlocking a key or asking the chain.
            if (arguments.OfType<Argument<string>>().FirstOrDefault(a => a.Name == "amount") is { } amount)
            {
                GptAmount.Parse(parse.GetValue(amount)!);
            }

            var payments = Signed(parse, access, output, keyRing, out var exit);
            if (payments is null)
            {
                return exit;
            }

            var summary = await action(parse, payments, ct).ConfigureAwait(false);
            output.Out.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(summary.Json, CliJson.Options) : summary.Text);
            return 0;
        }));
        return command;
    }
}
