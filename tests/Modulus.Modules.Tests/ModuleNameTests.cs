namespace Modulus.Modules.Tests;

public class ModuleNameTests
{
    public static TheoryData<string> ValidNames => TestVectors.Valid("module-names.json");

    public static TheoryData<string, string> InvalidNames => TestVectors.Invalid("module-names.json");

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void TryParse_ValidVector_IsAccepted(string text)
    {
        Assert.True(ModuleName.TryParse(text, out var name, out var error), error);
        Assert.Equal(text, name.Value);
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void TryParse_InvalidVector_IsRefusedWithTheRule(string text, string why)
    {
        Assert.False(ModuleName.TryParse(text, out _, out var error), $"{why}: \"{text}\" was accepted");
        Assert.Contains("is not a module name", error);
        Assert.Contains("e.g. \"text.tokenize\"", error);
        Assert.DoesNotContain('\0', error);
    }

    [Fact]
    public void TryParse_UpperCase_SaysWhichLetterAndTheLowerCaseForm()
    {
        Assert.False(ModuleName.TryParse("Text.Tokenize", out _, out var error));
        Assert.StartsWith("\"Text.Tokenize\" is not a module name: it has the upper-case letter 'T' (use \"text.tokenize\")", error);
    }

    [Fact]
    public void TryParse_ControlCharacters_AreEscapedInTheError()
    {
        Assert.False(ModuleName.TryParse("a\u001b[31mb", out _, out var error));
        Assert.DoesNotContain('\u001b', error);
        Assert.Contains("\\u001b", error);
    }

    [Fact]
    public void FromRelativePath_MakesTheDottedName()
    {
        Assert.Equal("text.embed", ModuleName.FromRelativePath("text/embed").Value);
        Assert.Equal(Path.Combine("text", "embed"), ModuleName.Parse("text.embed").ToRelativePath());
        Assert.Throws<FormatException>(() => ModuleName.FromRelativePath("Text/Embed"));
    }
}
