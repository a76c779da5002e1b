using Modulus.Sdk;

namespace Modulus.Sdk.Tests;

public class TypeSpecTests
{
    [Theory]
    [InlineData("int")]
    [InlineData("string?")]
    [InlineData("list[int]")]
    [InlineData("map[list[float]]")]
    [InlineData("tensor?")]
    [InlineData("any")]
    [InlineData("map")]
    public void Parse_ThenToString_RoundTrips(string text)
    {
        Assert.Equal(text, TypeSpec.Parse(text).ToString());
    }

    [Fact]
    public void Parse_UnknownName_IsAny()
    {
        Assert.Equal(TypeSpec.Any, TypeSpec.Parse("widget"));
    }

    [Fact]
    public void Signature_ShowsDefaults()
    {
        var schema = new EndpointSchema("forward", [new ParameterSchema("text", TypeSpec.String, true), new ParameterSchema("top", TypeSpec.Int, false, "5")], TypeSpec.MapOf(TypeSpec.Any));
        Assert.Equal("forward(text: string, top: int = 5) -> map", schema.Signature);
    }

    [Fact]
    public void StatusCodes_HaveGrpcNumbersAndNames()
    {
        Assert.Equal(5, (int)StatusCode.NotFound);
        Assert.Equal(16, (int)StatusCode.Unauthenticated);
        Assert.Equal("DEADLINE_EXCEEDED", StatusCode.DeadlineExceeded.ToWireName());
    }
}
