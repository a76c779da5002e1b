using Modulus.Runtime.Invocation;
using Modulus.Sdk;

namespace Modulus.Runtime.Tests;

public class ArgumentBinderTests
{
    private static readonly EndpointSchema Schema = new(
        "forward",
        [
            new ParameterSchema("text", TypeSpec.String, true),
            new ParameterSchema("scale", TypeSpec.Float, false, "1.0"),
            new ParameterSchema("ids", TypeSpec.ListOf(TypeSpec.Int).OrNull(), false, "null"),
        ],
        TypeSpec.Any);

    [Fact]
    public void Bind_PositionalAndKeyword_FillSlotsInOrder()
    {
        var bound = ArgumentBinder.Bind("m/forward", Schema, ["hi"], new Dictionary<string, Value> { ["ids"] = Value.List(1, 2) });
        Assert.Equal("hi", bound[0]!.AsString());
        Assert.Null(bound[1]);
        Assert.Equal(2, bound[2]!.AsList().Count);
    }

    [Fact]
    public void Bind_IntWhereFloatDeclared_IsWidened()
    {
        var bound = ArgumentBinder.Bind("m/forward", Schema, ["hi", 3], new Dictionary<string, Value>());
        Assert.Equal(ValueKind.Float, bound[1]!.Kind);
        Assert.Equal(3.0, bound[1]!.AsFloat());
    }

    [Fact]
    public void Bind_MissingRequired_NamesTheParameter()
    {
        var ex = Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, [], new Dictionary<string, Value>()));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("missing argument \"text\"", ex.Message);
    }

    [Fact]
    public void Bind_WrongType_NamesParameterExpectedAndFound()
    {
        var ex = Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, [5], new Dictionary<string, Value>()));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("\"text\" must be string but is the int 5", ex.Message);
    }

    [Fact]
    public void Bind_WrongListElement_NamesTheElement()
    {
        var ex = Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, ["a", 1.0, Value.List(1, "x")], new Dictionary<string, Value>()));
        Assert.Contains("\"ids[1]\" must be int", ex.Message);
    }

    [Fact]
    public void Bind_UnknownKeyword_TooManyAndDuplicate_AreInvalid()
    {
        Assert.Contains("no parameter \"nope\"", Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, ["a"], new Dictionary<string, Value> { ["nope"] = 1 })).Message);
        Assert.Contains("takes 3 arguments but 4 were given", Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, ["a", 1, Value.Null, 4], new Dictionary<string, Value>())).Message);
        Assert.Contains("twice", Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, ["a"], new Dictionary<string, Value> { ["text"] = "b" })).Message);
    }

    [Fact]
    public void Bind_NullForNullable_IsAccepted_ForRequiredString_IsNot()
    {
        Assert.True(ArgumentBinder.Bind("m/forward", Schema, ["a", 1, Value.Null], new Dictionary<string, Value>())[2]!.IsNull);
        Assert.Throws<ModulusException>(() => ArgumentBinder.Bind("m/forward", Schema, [Value.Null], new Dictionary<string, Value>()));
    }
}
