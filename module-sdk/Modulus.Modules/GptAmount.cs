using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace Modulus.Modules;

/// <summary>
/// Amounts of $GPT written as decimals ("100", "0.5", "0.001") and their value in the token's
/// smallest unit (wei: 18 decimals). Parsed digit by digit into a <see cref="BigInteger"/>, never
/// through floating point, so "0.1" is exactly 100000000000000000 wei. The one parser of amounts:
/// manifests' prices, the CLI's amounts and the registry's sentences use it.
/// </summary>
public static class GptAmount
{
    /// <summary>The token's decimals.</summary>
    public const int Decimals = 18;

    /// <summary>One $GPT in wei (10^18).</summary>
    public static BigInteger One { get; } = BigInteger.Pow(10, Decimals);

    /// <summary>Parses a decimal amount of $GPT into wei.</summary>
    /// <exception cref="FormatException">Not digits with at most one point and 18 decimals; the message says what to write.</exception>
    public static BigInteger Parse(string text) =>
        TryParse(text, out var wei, out var error) ? wei : throw new FormatException(error);

    /// <summary>Parses a decimal amount of $GPT into wei, or says why it is not one.</summary>
    public static bool TryParse(string? text, out BigInteger wei, [NotNullWhen(false)] out string? error)
    {
        wei = BigInteger.Zero;
        var trimmed = text?.Trim() ?? string.Empty;
        var parts = trimmed.Split('.');
        if (parts.Length > 2 || parts[0].Length == 0 && (parts.Length == 1 || parts[1].Length == 0)
            || !parts.All(p => p.All(char.IsAsciiDigit)))
        {
            error = $"\"{ModuleName.Printable(text ?? string.Empty)}\" is not an amount of $GPT; write digits with at most one decimal point, e.g. 100, 0.5 or 0.001";
            return false;
        }

        if (parts.Length == 2 && parts[1].Length > Decimals)
        {
            error = $"\"{ModuleName.Printable(trimmed)}\" has {parts[1].Length} decimals; $GPT has {Decimals} (the smallest amount is 0.{new string('0', Decimals - 1)}1)";
            return false;
        }

        var whole = parts[0].Length == 0 ? BigInteger.Zero : BigInteger.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        var fraction = parts.Length == 2 && parts[1].Length > 0
            ? BigInteger.Parse(parts[1].PadRight(Decimals, '0'), NumberStyles.None, CultureInfo.InvariantCulture)
            : BigInteger.Zero;
        wei = whole * One + fraction;
        error = null;
        return true;
    }

    /// <summary>An amount in wei as $GPT, with thousands separators and without trailing zeros: 1,000.5.</summary>
    public static string Format(BigInteger wei)
    {
        if (wei.Sign < 0)
        {
            return "-" + Format(-wei);
        }

        var whole = BigInteger.DivRem(wei, One, out var fraction);
        var text = whole.ToString("N0", CultureInfo.InvariantCulture);
        return fraction.IsZero ? text : text + "." + fraction.ToString(CultureInfo.InvariantCulture).PadLeft(Decimals, '0').TrimEnd('0');
    }

    /// <summary>An amount in wei as a plain decimal without separators (0.001), as a manifest or the CLI takes it back.</summary>
    public static string ToDecimalString(BigInteger wei) => Format(wei).Replace(",", string.Empty, StringComparison.Ordinal);
}
