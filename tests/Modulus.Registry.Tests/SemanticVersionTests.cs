using Modulus.Registry.Index;

namespace Modulus.Registry.Tests;

public class SemanticVersionTests
{
    [Theory]
    [InlineData("1.10.0", "1.9.0")]
    [InlineData("2.0.0", "1.99.99")]
    [InlineData("1.0.1", "1.0.0")]
    [InlineData("1.0.0", "1.0.0-rc.1")]
    [InlineData("1.0.0-rc.10", "1.0.0-rc.2")]
    [InlineData("1.0.0-beta", "1.0.0-alpha")]
    [InlineData("1.0.0-alpha.1", "1.0.0-alpha")]
    [InlineData("1.0.0-alpha.beta", "1.0.0-alpha.1")]
    [InlineData("1.0.0-rc.1", "0.9.9")]
    public void Compare_RanksTheFirstAboveTheSecond(string higher, string lower)
    {
        Assert.True(SemanticVersion.Compare(higher, lower) > 0, $"{higher} should outrank {lower}");
        Assert.True(SemanticVersion.Compare(lower, higher) < 0, $"{lower} should rank below {higher}");
    }

    [Fact]
    public void Compare_EqualVersions_AreEqual()
    {
        Assert.Equal(0, SemanticVersion.Compare("1.2.3", "1.2.3"));
        Assert.Equal(0, SemanticVersion.Compare("1.2.3-rc.1", "1.2.3-rc.1"));
    }

    [Fact]
    public void Precedence_SortsTheSemVerSpecExample()
    {
        string[] expected = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0"];
        var shuffled = expected.Reverse().ToArray();

        var sorted = shuffled.OrderBy(v => v, SemanticVersion.Precedence).ToArray();

        Assert.Equal(expected, sorted);
    }

    [Theory]
    [InlineData("1.0.0-rc.1", true)]
    [InlineData("1.0.0-alpha", true)]
    [InlineData("1.0.0", false)]
    [InlineData("1.0.0+build.5", false)]
    public void IsPrerelease_OnlyForVersionsWithAPrereleasePart(string version, bool expected)
    {
        Assert.Equal(expected, SemanticVersion.IsPrerelease(version));
    }
}
