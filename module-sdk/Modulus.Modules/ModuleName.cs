namespace Modulus.Modules;

/// <summary>
/// A module's dotted name, such as <c>text.tokenize</c>: 1 to 128 bytes of lower-case ASCII letters,
/// digits, <c>_</c> and <c>-</c>, in parts separated by single dots. The rule is the registry
/// contract's (<c>ModuleRegistry._validName</c>), so a name that serves locally can be published.
/// </summary>
public readonly record struct ModuleName : IComparable<ModuleName>
{
    /// <summary>The longest name, in bytes (all of them ASCII).</summary>
    public const int MaxLength = 128;

    private readonly string? _value;

    private ModuleName(string value) => _value = value;

    /// <summary>The name's text.</summary>
    public string Value => _value ?? string.Empty;

    /// <summary>The name's parts: <c>text.tokenize</c> is <c>text</c>, <c>tokenize</c>.</summary>
    public IReadOnlyList<string> Parts => Value.Split('.');

    /// <summary>Parses a name.</summary>
    /// <exception cref="FormatException">It is not a module name; the message says why and gives the rule.</exception>
    public static ModuleName Parse(string text) =>
        TryParse(text, out var name, out var error) ? name : throw new FormatException(error);

    /// <summary>Parses a name; on failure <paramref name="error"/> says why, in the sentence every command uses.</summary>
    public static bool TryParse(string? text, out ModuleName name, out string error)
    {
        name = default;
        var problem = Problem(text);
        if (problem is not null)
        {
            error = $"\"{Printable(text ?? string.Empty)}\" is not a module name: {problem}; a name is 1-{MaxLength} lower-case letters, digits, '_' and '-' in parts separated by single dots, e.g. \"text.tokenize\"";
            return false;
        }

        error = string.Empty;
        name = new ModuleName(text!);
        return true;
    }

    /// <summary>The name a folder's path below a tree root gives: <c>text/embed</c> serves as <c>text.embed</c>.</summary>
    /// <exception cref="FormatException">The path does not make a valid name (upper case, spaces, …).</exception>
    public static ModuleName FromRelativePath(string relativePath)
    {
        var dotted = relativePath.Replace('\\', '/').Trim('/').Replace('/', '.');
        return Parse(dotted);
    }

    /// <summary>The folder path, relative to a tree root, that serves this name by default.</summary>
    public string ToRelativePath() => Path.Combine(Value.Split('.'));

    /// <inheritdoc />
    public int CompareTo(ModuleName other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => Value;

    private static string? Problem(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "it is empty";
        }

        if (text.Length > MaxLength)
        {
            return $"it is {text.Length} characters long, over {MaxLength}";
        }

        if (text[0] == '.' || text[^1] == '.')
        {
            return "it starts or ends with a dot";
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                if (text[i - 1] == '.')
                {
                    return "it has an empty part (two dots in a row)";
                }

                continue;
            }

            if (c is >= 'A' and <= 'Z')
            {
                return $"it has the upper-case letter '{c}' (use \"{text.ToLowerInvariant()}\")";
            }

            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-'))
            {
                return $"it has the character {Describe(c)}";
            }
        }

        return null;
    }

    private static string Describe(char c) => char.IsControl(c) || char.IsWhiteSpace(c) || c > '~'
        ? $"U+{(int)c:X4}"
        : $"'{c}'";

    /// <summary>The text with control characters shown as escapes, so an error never writes them to a terminal.</summary>
    internal static string Printable(string text)
    {
        var cut = text.Length > 160 ? text[..160] + "…" : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
