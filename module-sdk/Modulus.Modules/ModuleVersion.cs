namespace Modulus.Modules;

/// <summary>
/// A module's version: Semantic Versioning 2.0.0 exactly, at most 64 bytes, as the registry contract
/// (<c>ModuleRegistry._validVersion</c>) accepts it. Ordered by SemVer precedence; versions of equal
/// precedence (differing only in build metadata) are ordered ordinally, so "latest" is the same everywhere.
/// </summary>
public sealed class ModuleVersion : IComparable<ModuleVersion>, IEquatable<ModuleVersion>
{
    /// <summary>The longest version, in bytes (all of them ASCII).</summary>
    public const int MaxLength = 64;

    private readonly string[] _core;
    private readonly string[] _prerelease;

    private ModuleVersion(string text, string[] core, string[] prerelease, string build)
    {
        Value = text;
        _core = core;
        _prerelease = prerelease;
        Build = build;
    }

    /// <summary>SemVer precedence over version strings; text that is not a version sorts first, ordinally.</summary>
    public static IComparer<string> Precedence { get; } = Comparer<string>.Create(CompareText);

    /// <summary>The version's text, e.g. <c>1.2.0-rc.1+build.5</c>.</summary>
    public string Value { get; }

    /// <summary>Whether the version has a prerelease part (<c>1.0.0-beta.1</c>), which ranks below its release.</summary>
    public bool IsPrerelease => _prerelease.Length > 0;

    /// <summary>The build metadata after <c>+</c>, or empty.</summary>
    public string Build { get; }

    /// <summary>Parses a version.</summary>
    /// <exception cref="FormatException">It is not a semantic version; the message says why.</exception>
    public static ModuleVersion Parse(string text) =>
        TryParse(text, out var version, out var error) ? version : throw new FormatException(error);

    /// <summary>Parses a version; on failure <paramref name="error"/> says why, in the sentence every command uses.</summary>
    public static bool TryParse(string? text, out ModuleVersion version, out string error)
    {
        version = null!;
        text ??= string.Empty;
        var problem = Split(text, out var core, out var prerelease, out var build);
        if (problem is not null)
        {
            error = $"version \"{ModuleName.Printable(text)}\" is not a semantic version: {problem}; use MAJOR.MINOR.PATCH with an optional -prerelease and +build (SemVer 2.0.0, at most {MaxLength} characters), e.g. \"1.0.0\" or \"1.1.0-rc.1\"";
            return false;
        }

        error = string.Empty;
        version = new ModuleVersion(text, core!, prerelease!, build!);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(ModuleVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var order = CompareIdentifiers(_core, other._core, numericFirst: false);
        if (order == 0)
        {
            // A release outranks its prereleases: 1.0.0-rc.1 < 1.0.0.
            order = (_prerelease.Length == 0, other._prerelease.Length == 0) switch
            {
                (true, true) => 0,
                (true, false) => 1,
                (false, true) => -1,
                _ => CompareIdentifiers(_prerelease, other._prerelease, numericFirst: true),
            };
        }

        return order != 0 ? order : string.CompareOrdinal(Value, other.Value);
    }

    /// <inheritdoc />
    public bool Equals(ModuleVersion? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ModuleVersion);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <inheritdoc />
    public override string ToString() => Value;

    private static int CompareText(string? left, string? right)
    {
        if (ReferenceEquals(left, right))
        {
            return 0;
        }

        var leftOk = TryParse(left, out var a, out _);
        var rightOk = TryParse(right, out var b, out _);
        return (leftOk, rightOk) switch
        {
            (true, true) => a.CompareTo(b),
            (false, false) => string.CompareOrdinal(left, right),
            (false, true) => -1,
            (true, false) => 1,
        };
    }

    private static int CompareIdentifiers(string[] left, string[] right, bool numericFirst)
    {
        for (var i = 0; i < Math.Min(left.Length, right.Length); i++)
        {
            var l = left[i];
            var r = right[i];
            var lNumeric = IsNumeric(l);
            var rNumeric = IsNumeric(r);
            int order;
            if (lNumeric && rNumeric)
            {
                // Digit strings of any length (no leading zeros), compared as numbers without parsing them.
                order = l.Length != r.Length ? l.Length.CompareTo(r.Length) : string.CompareOrdinal(l, r);
            }
            else if (lNumeric != rNumeric)
            {
                // Numeric identifiers rank below alphanumeric ones.
                order = lNumeric == numericFirst ? -1 : 1;
            }
            else
            {
                order = string.CompareOrdinal(l, r);
            }

            if (order != 0)
            {
                return order;
            }
        }

        // 1.0.0-alpha < 1.0.0-alpha.1: with equal leading identifiers, more identifiers rank higher.
        return left.Length.CompareTo(right.Length);
    }

    private static string? Split(string text, out string[]? core, out string[]? prerelease, out string? build)
    {
        core = prerelease = null;
        build = null;
        if (text.Length == 0)
        {
            return "it is empty";
        }

        if (text.Length > MaxLength)
        {
            return $"it is {text.Length} characters long, over {MaxLength}";
        }

        var plus = text.IndexOf('+', StringComparison.Ordinal);
        var withoutBuild = plus >= 0 ? text[..plus] : text;
        build = plus >= 0 ? text[(plus + 1)..] : string.Empty;
        var dash = withoutBuild.IndexOf('-', StringComparison.Ordinal);
        var coreText = dash >= 0 ? withoutBuild[..dash] : withoutBuild;
        var preText = dash >= 0 ? withoutBuild[(dash + 1)..] : null;

        core = coreText.Split('.');
        if (core.Length != 3)
        {
            return $"\"{ModuleName.Printable(coreText)}\" has {core.Length} number{(core.Length == 1 ? string.Empty : "s")}, not MAJOR.MINOR.PATCH";
        }

        string[] parts = ["major", "minor", "patch"];
        for (var i = 0; i < 3; i++)
        {
            if (core[i].Length == 0 || !IsNumeric(core[i]))
            {
                return $"the {parts[i]} version \"{ModuleName.Printable(core[i])}\" is not a number";
            }

            if (core[i].Length > 1 && core[i][0] == '0')
            {
                return $"the {parts[i]} version \"{core[i]}\" has a leading zero";
            }
        }

        prerelease = [];
        if (preText is not null)
        {
            prerelease = preText.Split('.');
            foreach (var identifier in prerelease)
            {
                if (IdentifierProblem(identifier, "prerelease") is { } problem)
                {
                    return problem;
                }

                if (identifier.Length > 1 && identifier[0] == '0' && IsNumeric(identifier))
                {
                    return $"the numeric prerelease identifier \"{identifier}\" has a leading zero";
                }
            }
        }

        if (plus >= 0)
        {
            if (build.Contains('+', StringComparison.Ordinal))
            {
                return "it has more than one '+'";
            }

            foreach (var identifier in build.Split('.'))
            {
                if (IdentifierProblem(identifier, "build") is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static string? IdentifierProblem(string identifier, string part)
    {
        if (identifier.Length == 0)
        {
            return $"its {part} part has an empty identifier";
        }

        foreach (var c in identifier)
        {
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '-'))
            {
                return $"its {part} identifier \"{ModuleName.Printable(identifier)}\" has the character {(char.IsControl(c) || c > '~' || c == ' ' ? $"U+{(int)c:X4}" : $"'{c}'")} (only 0-9, A-Z, a-z and '-' are allowed)";
            }
        }

        return null;
    }

    private static bool IsNumeric(string identifier) => identifier.Length > 0 && identifier.All(char.IsAsciiDigit);
}
