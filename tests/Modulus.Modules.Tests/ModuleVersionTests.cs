namespace Modulus.Modules.Tests;

public class ModuleVersionTests
{
    public static TheoryData<string> ValidVersions => TestVectors.Valid("module-versions.json");

    public static TheoryData<string, string> InvalidVersions => TestVectors.Invalid("module-versions.json");

    [Theory]
    [MemberData(nameof(ValidVersions))]
    public void TryParse_ValidVector_IsAccepted(string text)
    {
        Assert.True(ModuleVersion.TryParse(text, out var version, out var error), error);
        Assert.Equal(text, version.Value);
    }

    [Theory]
    [MemberData(nameof(InvalidVersions))]
    public void TryParse_InvalidVector_IsRefusedSayingWhy(string text, string why)
    {
        Assert.False(ModuleVersion.TryParse(text, out _, out var error), $"{why}: \"{text}\" was accepted");
        Assert.Contains("is not a semantic version", error);
        Assert.Contains("e.g. \"1.0.0\"", error);
    }

    [Theory]
    [InlineData("1.0.0-01", "the numeric prerelease identifier \"01\" has a leading zero")]
    [InlineData("1.0.0-a..b", "its prerelease part has an empty identifier")]
    [InlineData("1.0.0+a+b", "it has more than one '+'")]
    [InlineData("01.0.0", "the major version \"01\" has a leading zero")]
    [InlineData("1.0", "has 2 numbers, not MAJOR.MINOR.PATCH")]
    public void TryParse_SaysWhatIsWrong(string text, string reason)
    {
        Assert.False(ModuleVersion.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Precedence_SortsTheVectorsOrder()
    {
        var expected = TestVectors.Precedence();
        var sorted = expected.Reverse().OrderBy(v => v, ModuleVersion.Precedence).ToArray();
        Assert.Equal(expected, sorted);
        var parsed = expected.Reverse().Select(ModuleVersion.Parse).Order().Select(v => v.Value).ToArray();
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("1.10.0", "1.9.0")]
    [InlineData("2.0.0", "1.99.99")]
    [InlineData("1.0.0", "1.0.0-rc.1")]
    [InlineData("1.0.0-rc.10", "1.0.0-rc.2")]
    [InlineData("1.0.0-alpha.beta", "1.0.0-alpha.1")]
    [InlineData("100000000000000000000.0.0", "99999999999999999999.0.0")]
    public void Compare_RanksTheFirstAboveTheSecond(string higher, string lower)
    {
        Assert.True(ModuleVersion.Parse(higher).CompareTo(ModuleVersion.Parse(lower)) > 0, $"{higher} should outrank {lower}");
        Assert.True(ModuleVersion.Precedence.Compare(lower, higher) < 0, $"{lower} should rank below {higher}");
    }

    [Fact]
    public void Compare_BuildMetadataOnly_IsOrderedOrdinallySoLatestIsTheSameEverywhere()
    {
        Assert.True(ModuleVersion.Precedence.Compare("1.0.0+b", "1.0.0+a") > 0);
        Assert.Equal(0, ModuleVersion.Precedence.Compare("1.2.3-rc.1", "1.2.3-rc.1"));
    }

    [Theory]
    [InlineData("1.0.0-rc.1", true)]
    [InlineData("1.0.0", false)]
    [InlineData("1.0.0+build.5", false)]
    public void IsPrerelease_OnlyForVersionsWithAPrereleasePart(string version, bool expected) =>
        Assert.Equal(expected, ModuleVersion.Parse(version).IsPrerelease);
}
