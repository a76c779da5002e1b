using System.CommandLine;
using System.Text.Json;
using Modulus.Client.Keys;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus keys new|ls|show|import|export-address</c>: the accounts that sign calls and transactions.</summary>
internal static class KeysCommand
{
    public static Command Create(CliOutput output, Func<KeyRing> keyRing)
    {
        var command = new Command("keys", "Manage the secp256k1 accounts that sign calls (encrypted keystore files in $MODULUS_HOME/keys).");
        command.Subcommands.Add(New(output, keyRing));
        command.Subcommands.Add(List(output, keyRing));
        command.Subcommands.Add(Show(output, keyRing));
        command.Subcommands.Add(Import(output, keyRing));
        command.Subcommands.Add(ExportAddress(output, keyRing));
        return command;
    }

    private static Command New(CliOutput output, Func<KeyRing> keyRing)
    {
        var name = new Argument<string>("name") { Description = "A name for the key, e.g. alice." };
        var passphraseFile = Passphrase.FileOption();
        var command = new Command("new", "Create a new key, stored encrypted with a passphrase.") { name, passphraseFile };
        command.SetAction(parse => Guard(output, () =>
        {
            var keyName = parse.GetValue(name)!;
            var passphrase = Passphrase.Resolve(parse, passphraseFile, keyName, confirm: true, output, out var exit);
            if (passphrase is null)
            {
                return exit;
            }

            var key = keyRing().Create(keyName, passphrase);
            output.Out.WriteLine($"Created key {key.Name}: {key.Address}");
            output.Out.WriteLine($"Stored encrypted in {key.Path}. Sign calls with `modulus call --key {key.Name} ...`.");
            return 0;
        }));
        return command;
    }

    private static Command List(CliOutput output, Func<KeyRing> keyRing)
    {
        var json = CommonOptions.Json();
        var command = new Command("ls", "List the keys and their addresses.") { json };
        command.SetAction(parse => Guard(output, () =>
        {
            var keys = keyRing().List();
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(keys.Select(k => new { name = k.Name, address = k.Address, path = k.Path }), CliJson.Options));
                return 0;
            }

            if (keys.Count == 0)
            {
                output.Out.WriteLine($"No keys in {keyRing().Directory}; create one with `modulus keys new NAME`.");
                return 0;
            }

            var table = new TableWriter("NAME", "ADDRESS", "FILE");
            foreach (var key in keys)
            {
                table.Add(key.Name, key.Address, key.Path);
            }

            table.Write(output.Out);
            return 0;
        }));
        return command;
    }

    private static Command Show(CliOutput output, Func<KeyRing> keyRing)
    {
        var name = new Argument<string>("name") { Description = "The key's name." };
        var json = CommonOptions.Json();
        var command = new Command("show", "Show a key's address and file.") { name, json };
        command.SetAction(parse => Guard(output, () =>
        {
            var key = keyRing().Get(parse.GetValue(name)!);
            output.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new { name = key.Name, address = key.Address, path = key.Path }, CliJson.Options)
                : $"{key.Name}\n  address: {key.Address}\n  file:    {key.Path}");
            return 0;
        }));
        return command;
    }

    private static Command Import(CliOutput output, Func<KeyRing> keyRing)
    {
        var name = new Argument<string>("name") { Description = "A name for the imported key." };
        var privateKeyFile = new Option<string?>("--private-key-file") { Description = "A file holding the private key as hex." };
        var keystore = new Option<string?>("--keystore") { Description = "A Web3 Secret Storage file from a wallet (its passphrase protects the copy too)." };
        var passphraseFile = Passphrase.FileOption();
        var command = new Command("import", "Import a private key or a wallet's keystore file.") { name, privateKeyFile, keystore, passphraseFile };
        command.SetAction(parse => Guard(output, () =>
        {
            var keyName = parse.GetValue(name)!;
            var (hexFile, keystoreFile) = (parse.GetValue(privateKeyFile), parse.GetValue(keystore));
            if ((hexFile is null) == (keystoreFile is null))
            {
                return output.Usage("give exactly one of --private-key-file FILE or --keystore FILE");
            }

            var source = (hexFile ?? keystoreFile)!;
            if (!File.Exists(source))
            {
                return output.Usage($"{source} does not exist");
            }

            var passphrase = Passphrase.Resolve(parse, passphraseFile, keyName, confirm: hexFile is not null, output, out var exit);
            if (passphrase is null)
            {
                return exit;
            }

            var key = hexFile is not null
                ? keyRing().ImportPrivateKey(keyName, File.ReadAllText(hexFile), passphrase)
                : keyRing().ImportKeystore(keyName, File.ReadAllText(keystoreFile!), passphrase);
            output.Out.WriteLine($"Imported key {key.Name}: {key.Address}");
            return 0;
        }));
        return command;
    }

    private static Command ExportAddress(CliOutput output, Func<KeyRing> keyRing)
    {
        var name = new Argument<string>("name") { Description = "The key's name." };
        var command = new Command("export-address", "Print a key's address alone (for allow lists and scripts).") { name };
        command.SetAction(parse => Guard(output, () =>
        {
            output.Out.WriteLine(keyRing().Get(parse.GetValue(name)!).Address);
            return 0;
        }));
        return command;
    }

    private static int Guard(CliOutput output, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (KeyRingException ex)
        {
            output.Error.WriteLine($"error: {ex.Message}");
            return CliOutput.ExitFailure;
        }
    }
}
