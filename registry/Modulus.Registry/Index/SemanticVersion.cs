namespace Modulus.Registry.Index;

/// <summary>
/// Semantic Versioning 2.0.0 precedence over version strings as the registry contract accepts them
/// (MAJOR.MINOR.PATCH, then -prerelease and/or +build).
/// </summary>
internal static class SemanticVersion
{
    /// <summary>
    /// Lowest to highest precedence. Versions of equal precedence (differing only in build metadata)
    /// are ordered ordinally, so that "latest" is the same on every index.
    /// </summary>
    public static IComparer<string> Precedence { get; } = Comparer<string>.Create(Compare);

    /// <summary>Whether the version has a prerelease part (1.0.0-beta.1), which ranks below its release.</summary>
    public static bool IsPrerelease(string version) => Split(version).Prerelease.Length > 0;

    public static int Compare(string? left, string? right)
    {
        if (ReferenceEquals(left, right))
        {
            return 0;
        }

        if (left is null || right is null)
        {
            return left is null ? -1 : 1;
        }

        var (leftCore, leftPre) = Split(left);
        var (rightCore, rightPre) = Split(right);
        var order = CompareDotted(leftCore, rightCore, coreOnly: true);
        if (order == 0)
        {
            // A release outranks its prereleases: 1.0.0-rc.1 < 1.0.0.
            order = (leftPre.Length == 0, rightPre.Length == 0) switch
            {
                (true, true) => 0,
                (true, false) => 1,
                (false, true) => -1,
                _ => CompareDotted(leftPre, rightPre, coreOnly: false),
            };
        }

        return order != 0 ? order : string.CompareOrdinal(left, right);
    }

    /// <summary>The core (1.2.3) and the prerelease (beta.1, or empty); build metadata is dropped.</summary>
    private static (string Core, string Prerelease) Split(string version)
    {
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        var withoutBuild = plus >= 0 ? version[..plus] : version;
        var dash = withoutBuild.IndexOf('-', StringComparison.Ordinal);
        return dash >= 0 ? (withoutBuild[..dash], withoutBuild[(dash + 1)..]) : (withoutBuild, string.Empty);
    }

    private static int CompareDotted(string left, string right, bool coreOnly)
    {
        var leftParts = left.Split('.');
        var rightParts = right.Split('.');
        for (var i = 0; i < Math.Min(leftParts.Length, rightParts.Length); i++)
        {
            var order = CompareIdentifier(leftParts[i], rightParts[i], coreOnly);
            if (order != 0)
            {
                return order;
            }
        }

        // 1.0.0-alpha < 1.0.0-alpha.1: with equal leading identifiers, more identifiers rank higher.
        return leftParts.Length.CompareTo(rightParts.Length);
    }

    private static int CompareIdentifier(string left, string right, bool coreOnly)
    {
        var leftNumeric = IsNumeric(left);
        var rightNumeric = IsNumeric(right);
        if (leftNumeric && rightNumeric)
        {
            // Digit strings of any length, compared as numbers without parsing them.
            var a = left.TrimStart('0');
            var b = right.TrimStart('0');
            return a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);
        }

        if (leftNumeric != rightNumeric)
        {
            // Prerelease: numeric identifiers rank below alphanumeric ones. A core part that is not
            // a number cannot come from the contract; it ranks low, where it does least harm.
            return leftNumeric == coreOnly ? 1 : -1;
        }

        return string.CompareOrdinal(left, right);
    }

    private static bool IsNumeric(string identifier) => identifier.Length > 0 && identifier.All(char.IsAsciiDigit);
}
