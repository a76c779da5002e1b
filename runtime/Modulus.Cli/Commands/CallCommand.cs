using System.CommandLine;
using Modulus.Client;
using Modulus.Client.Keys;
using Modulus.Sdk;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus call MODULE[/ENDPOINT] [ARGS...]</c>: calls a module and prints its result as JSON.</summary>
internal static class CallCommand
{
    public static Command Create(CliOutput output, Func<KeyRing> keyRing)
    {
        var target = new Argument<string>("target") { Description = "MODULE or MODULE/ENDPOINT (the endpoint defaults to forward)." };
        var args = new Argument<string[]>("args") { Description = "Positional arguments: JSON where they parse as JSON, else strings.", Arity = ArgumentArity.ZeroOrMore };
        var kw = new Option<string[]>("--kw") { Description = "A keyword argument NAME=VALUE (VALUE as for ARGS); repeat for more.", AllowMultipleArgumentsPerToken = false };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the result.", DefaultValueFactory = _ => 60 };
        var url = CommonOptions.Url();
        var key = new Option<string?>("--key") { Description = "Sign the call with this key from `modulus keys` (the host then knows the caller)." };
        var passphraseFile = Passphrase.FileOption();
        var resolve = new Option<bool>("--resolve") { Description = "Find a host serving the module through the registry service (see --registry) instead of --url." };
        var registry = new RegistryAccess().Registry;
        var pay = new Option<bool>("--pay") { Description = "Pay for a call to a paid module with a voucher signed by --key (default $MODULUS_KEY, else dev0), from your escrow deposit for the host (`modulus pay deposit`)." };
        var maxPrice = new Option<string>("--max-price") { Description = "With --pay: the most to pay for the call, in $GPT; a higher price is refused before anything is signed.", DefaultValueFactory = _ => DefaultMaxPrice };

        var stream = new Option<bool>("--stream") { Description = "Print the answer's items as they arrive (a streaming endpoint's; any other's result as one item): text items as they are, others as a JSON line each. Over gRPC or TCP; Ctrl+C stops the module." };
        var command = new Command("call", "Call a module's endpoint and print the result as JSON.") { target, args, kw, timeout, url, key, passphraseFile, resolve, registry, pay, maxPrice, stream };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kwargs = new Dictionary<string, Value>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(kw) ?? [])
            {
                var equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    return output.Usage($"--kw \"{pair}\" is not NAME=VALUE, e.g. --kw limit=10");
                }

                try
                {
                    kwargs[pair[..equals]] = ParseArgument(pair[(equals + 1)..]);
                }
                catch (FormatException ex)
                {
                    return output.Usage($"--kw {pair[..equals]} is malformed: {ex.Message}");
                }
            }

            Value[] positional;
            try
            {
                positional = (parse.GetValue(args) ?? []).Select(ParseArgument).ToArray();
            }
            catch (FormatException ex)
            {
                return output.Usage($"an argument is malformed: {ex.Message}");
            }

            var seconds = parse.GetValue(timeout);
            if (seconds <= 0 || double.IsNaN(seconds))
            {
                return output.Usage($"--timeout {seconds} must be a positive number of seconds");
            }

            var options = new ModulusClientOptions();
            Modulus.Client.Keys.UnlockedKey? payerKey = null;
            if (parse.GetValue(pay))
            {
                if (!Modules.GptAmount.TryParse(parse.GetValue(maxPrice), out _, out var priceError))
                {
                    return output.Usage($"--max-price: {priceError}");
                }

                var payer = parse.GetValue(key) ?? CliEnvironment.Key ?? RegistryAccess.DefaultKey;
                try
                {
                    if (Passphrase.Unlock(parse, passphraseFile, keyRing(), payer, output, out var exit) is not { } unlocked)
                    {
                        return exit;
                    }

                    payerKey = unlocked;
                    options = options with { Payment = new ModulusPaymentOptions(unlocked.Signer, parse.GetValue(maxPrice)!) { Tally = PaidTally.Load() } };
                }
                catch (KeyRingException ex)
                {
                    return output.Usage(ex.Message);
                }
            }

            if (parse.GetValue(key) is { } keyName)
            {
                try
                {
                    // With --pay the payer is this key: unlocked once (a keystore's scrypt is slow on purpose).
                    var exit = 0;
                    if ((payerKey ?? Passphrase.Unlock(parse, passphraseFile, keyRing(), keyName, output, out exit)) is not { } unlocked)
                    {
                        return exit;
                    }

                    options = options with { Signer = unlocked.Signer };
                }
                catch (KeyRingException ex)
                {
                    return output.Usage(ex.Message);
                }
            }

            var address = parse.GetValue(url)!;
            if (parse.GetValue(resolve) && parse.GetValue(stream))
            {
                return output.Usage("--stream goes to one host: give it --url (find one with `modulus search` or `modulus info --resolve`) rather than --resolve");
            }

            if (parse.GetValue(resolve))
            {
                // Every host the registry lists for the version, failing over between them.
                var moduleName = parse.GetValue(target)!.Split('/')[0];
                Modulus.Client.ModulusFailoverClient? hosts = null;
                var exit = await ChainAction.RunAsync(output, async () =>
                {
                    using var client = new Modulus.Registry.Service.RegistryClient(parse.GetValue(registry)!);
                    hosts = await new Modulus.Registry.ModuleResolver(client).ConnectAsync(moduleName, options, cancellationToken).ConfigureAwait(false);
                    return 0;
                }).ConfigureAwait(false);
                if (exit != 0)
                {
                    return exit;
                }

                var failover = hosts!;
                await using (failover.ConfigureAwait(false))
                {
                    try
                    {
                        var result = await failover.CallAsync(parse.GetValue(target)!, positional, kwargs, new ModulusCallOptions(TimeSpan.FromSeconds(seconds)), cancellationToken).ConfigureAwait(false);
                        output.Out.WriteLine(ValueJson.Serialize(result));
                        return 0;
                    }
                    catch (ModulusException ex)
                    {
                        return output.Fail(ex);
                    }
                }
            }

            try
            {
                return await ClientAction.RunAsync(output, address, options, async client =>
                {
                    if (parse.GetValue(stream))
                    {
                        await PrintStreamAsync(output, client.StreamAsync(parse.GetValue(target)!, positional, kwargs, new ModulusCallOptions(TimeSpan.FromSeconds(seconds)), cancellationToken)).ConfigureAwait(false);
                        return 0;
                    }

                    var result = await client.CallAsync(parse.GetValue(target)!, positional, kwargs, new ModulusCallOptions(TimeSpan.FromSeconds(seconds)), cancellationToken).ConfigureAwait(false);
                    output.Out.WriteLine(ValueJson.Serialize(result));
                    return 0;
                }).ConfigureAwait(false);
            }
            finally
            {
                if (options.Payment is { } payment)
                {
                    PaidTally.Save(payment.Tally);
                }
            }
        });
        return command;
    }

    /// <summary>
    /// Prints a stream as it arrives: strings as they are, flushed at once (generated text reads as
    /// it is made), any other item as a line of JSON; a newline ends text that did not end with one.
    /// </summary>
    private static async Task PrintStreamAsync(CliOutput output, IAsyncEnumerable<Value> items)
    {
        var midLine = false;
        try
        {
            await foreach (var item in items.ConfigureAwait(false))
            {
                if (item.Kind == ValueKind.String)
                {
                    var text = item.AsString();
                    output.Out.Write(text);
                    midLine = text.Length > 0 ? text[^1] != '\n' : midLine;
                }
                else
                {
                    if (midLine)
                    {
                        output.Out.WriteLine();
                    }

                    output.Out.WriteLine(ValueJson.Serialize(item));
                    midLine = false;
                }

                output.Out.Flush();
            }
        }
        finally
        {
            if (midLine)
            {
                output.Out.WriteLine();
            }
        }
    }

    /// <summary>The most `call --pay` pays for one call when --max-price is not given, in $GPT.</summary>
    public const string DefaultMaxPrice = "0.01";

    /// <summary>An argument that parses as JSON is JSON; anything else is a string.</summary>
    /// <exception cref="FormatException">JSON with a malformed <c>$tensor</c>, <c>$bytes</c> or <c>$float</c> object.</exception>
    internal static Value ParseArgument(string text) => ValueJson.TryParse(text, out var value) ? value : Value.From(text);
}
