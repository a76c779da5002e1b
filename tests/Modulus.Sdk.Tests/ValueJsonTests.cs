using Modulus.Sdk;

namespace Modulus.Sdk.Tests;

public class ValueJsonTests
{
    [Theory]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("42")]
    [InlineData("-7")]
    [InlineData("2.5")]
    [InlineData("1.0")]
    [InlineData("\"hello\"")]
    [InlineData("[1,\"a\",null,[true]]")]
    [InlineData("{\"b\":1,\"a\":{\"c\":[]}}")]
    [InlineData("{\"$bytes\":\"aGk=\"}")]
    [InlineData("{\"$float\":\"NaN\"}")]
    public void Parse_ThenSerialize_GivesTheSameJson(string json)
    {
        Assert.Equal(json, ValueJson.Serialize(ValueJson.Parse(json)));
    }

    [Fact]
    public void Parse_IntegerAndFloat_KeepTheirKinds()
    {
        Assert.Equal(ValueKind.Int, ValueJson.Parse("3").Kind);
        Assert.Equal(ValueKind.Float, ValueJson.Parse("3.0").Kind);
        Assert.Equal(ValueKind.Float, ValueJson.Parse("3e2").Kind);
    }

    [Fact]
    public void Parse_Tensor_BuildsTypedTensor()
    {
        var value = ValueJson.Parse("""{"$tensor":{"dtype":"FP32","shape":[2,2],"data":[1,2,3,4.5]}}""");
        var tensor = value.AsTensor();
        Assert.Equal(DType.FP32, tensor.DType);
        Assert.Equal([2L, 2L], tensor.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4.5f }, tensor.ToArray<float>());
    }

    [Fact]
    public void Serialize_Fp32Tensor_PrintsShortestFloats()
    {
        var json = ValueJson.Serialize(Value.From(Tensor.FromArray(new float[] { 0.1f, 0.26894143f })));
        Assert.Equal("""{"$tensor":{"dtype":"FP32","shape":[2],"data":[0.1,0.26894143]}}""", json);
    }

    [Theory]
    [InlineData("""{"$tensor":{"dtype":"FP33","data":[1]}}""", "FP33")]
    [InlineData("""{"$tensor":{"dtype":"FP32","shape":[3],"data":[1]}}""", "3 elements")]
    [InlineData("""{"$bytes":12}""", "base64")]
    public void Parse_MalformedTaggedObject_ThrowsSayingWhy(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => ValueJson.Parse(json));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void TryParse_NestingOverTheLimit_SaysTheLimit_AndAtTheLimitParses()
    {
        Assert.True(ValueJson.TryParse(new string('[', 64) + new string(']', 64), out _));
        var ex = Assert.Throws<FormatException>(() => ValueJson.TryParse(new string('[', 65) + new string(']', 65), out _));
        Assert.Contains("at most 64 levels deep", ex.Message);
    }

    [Fact]
    public void TryParse_NotJson_ReturnsFalse()
    {
        Assert.False(ValueJson.TryParse("hello world", out _));
        Assert.True(ValueJson.TryParse("[1]", out var list));
        Assert.Equal(ValueKind.List, list.Kind);
    }

    [Fact]
    public void Map_KeepsKeyOrder()
    {
        var map = ValueJson.Parse("""{"z":1,"a":2,"m":3}""").AsMap();
        Assert.Equal(["z", "a", "m"], map.Keys);
    }
}
