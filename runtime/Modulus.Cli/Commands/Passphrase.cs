using System.CommandLine;
using System.Text;

namespace Modulus.Cli.Commands;

/// <summary>Where a key's passphrase comes from: a file, the environment, or a prompt at the terminal.</summary>
internal static class Passphrase
{
    public const string EnvironmentVariable = CliEnvironment.PassphraseVariable;

    public static Option<string?> FileOption() => new("--passphrase-file")
    {
        Description = $"A file whose first line is the key's passphrase. Otherwise ${EnvironmentVariable}, else a prompt.",
    };

    /// <summary>
    /// Unlocks a key of the ring: a development account (<c>dev0</c>…, added by <c>modulus chain up</c>)
    /// with its known passphrase unless one is given, any other with <see cref="Resolve"/>'s.
    /// Null, with the reason written as a usage error, when no passphrase could be had.
    /// </summary>
    /// <exception cref="Modulus.Client.Keys.KeyRingException">No such key, or the passphrase does not open it.</exception>
    public static Modulus.Client.Keys.UnlockedKey? Unlock(ParseResult parse, Option<string?> fileOption, Modulus.Client.Keys.KeyRing keyRing, string keyName, CliOutput output, out int exitCode)
    {
        exitCode = 0;
        keyRing.Get(keyName); // a missing key is reported as such, before any passphrase is asked for
        var explicitPassphrase = parse.GetValue(fileOption) is not null || CliEnvironment.Passphrase is not null;
        if (!explicitPassphrase && keyName.StartsWith("dev", StringComparison.Ordinal))
        {
            // The development accounts are stored with a known passphrase: they are public test keys.
            try
            {
                return keyRing.Unlock(keyName, ChainCommand.DevPassphrase);
            }
            catch (Modulus.Client.Keys.KeyRingException)
            {
                // A key of the user's own that happens to be named dev…: ask for its passphrase.
            }
        }

        var passphrase = Resolve(parse, fileOption, keyName, confirm: false, output, out exitCode);
        return passphrase is null ? null : keyRing.Unlock(keyName, passphrase);
    }

    /// <summary>The passphrase, or null with the reason written as a usage error.</summary>
    public static string? Resolve(ParseResult parse, Option<string?> fileOption, string keyName, bool confirm, CliOutput output, out int exitCode)
    {
        exitCode = 0;
        if (parse.GetValue(fileOption) is { } file)
        {
            if (!File.Exists(file))
            {
                exitCode = output.Usage($"--passphrase-file {file} does not exist");
                return null;
            }

            return File.ReadLines(file).FirstOrDefault() ?? string.Empty;
        }

        if (CliEnvironment.Passphrase is { } fromEnvironment)
        {
            return fromEnvironment;
        }

        if (Console.IsInputRedirected)
        {
            exitCode = output.Usage($"key \"{keyName}\" needs a passphrase: pass --passphrase-file FILE or set {EnvironmentVariable}");
            return null;
        }

        var first = Prompt($"Passphrase for key {keyName}: ", output);
        if (confirm && Prompt("Repeat it: ", output) != first)
        {
            exitCode = output.Usage("the two passphrases differ; nothing was written");
            return null;
        }

        return first;
    }

    private static string Prompt(string question, CliOutput output)
    {
        output.Error.Write(question);
        output.Error.Flush();
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                output.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
