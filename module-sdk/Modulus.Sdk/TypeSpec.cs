namespace Modulus.Sdk;

/// <summary>
/// The declared type of an endpoint's parameter or result, as served by <c>info</c>:
/// <c>any</c>, <c>null</c>, <c>bool</c>, <c>int</c>, <c>float</c>, <c>string</c>, <c>bytes</c>,
/// <c>tensor</c>, <c>list[T]</c>, <c>map[T]</c> (string keys), and <c>T?</c> for "or null".
/// </summary>
public sealed record TypeSpec
{
    private TypeSpec(string kind, TypeSpec? element, bool nullable)
    {
        Kind = kind;
        Element = element;
        IsNullable = nullable;
    }

    public static TypeSpec Any { get; } = new("any", null, true);
    public static TypeSpec NullType { get; } = new("null", null, true);
    public static TypeSpec Bool { get; } = new("bool", null, false);
    public static TypeSpec Int { get; } = new("int", null, false);
    public static TypeSpec Float { get; } = new("float", null, false);
    public static TypeSpec String { get; } = new("string", null, false);
    public static TypeSpec Bytes { get; } = new("bytes", null, false);
    public static TypeSpec Tensor { get; } = new("tensor", null, false);

    /// <summary>The base kind: any, null, bool, int, float, string, bytes, tensor, list or map.</summary>
    public string Kind { get; }

    /// <summary>The element type of a list or the value type of a map.</summary>
    public TypeSpec? Element { get; }

    /// <summary>Whether null is accepted too.</summary>
    public bool IsNullable { get; }

    public static TypeSpec ListOf(TypeSpec element) => new("list", element, false);

    public static TypeSpec MapOf(TypeSpec element) => new("map", element, false);

    /// <summary>This type, or null.</summary>
    public TypeSpec OrNull() => IsNullable ? this : new(Kind, Element, true);

    /// <summary>Parses the text form (<c>list[int]?</c>). Unknown names read as <c>any</c>.</summary>
    public static TypeSpec Parse(string? text)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return Any;
        }

        if (text.EndsWith('?'))
        {
            return Parse(text[..^1]).OrNull();
        }

        var open = text.IndexOf('[');
        if (open > 0 && text.EndsWith(']'))
        {
            var inner = Parse(text[(open + 1)..^1]);
            return text[..open] switch
            {
                "list" => ListOf(inner),
                "map" => MapOf(inner),
                _ => Any,
            };
        }

        return text switch
        {
            "null" => NullType,
            "bool" => Bool,
            "int" => Int,
            "float" => Float,
            "string" => String,
            "bytes" => Bytes,
            "tensor" => Tensor,
            "list" => ListOf(Any),
            "map" => MapOf(Any),
            _ => Any,
        };
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var core = Element is null || Element.Kind == "any" ? Kind : $"{Kind}[{Element}]";
        return IsNullable && Kind is not ("any" or "null") ? core + "?" : core;
    }
}

/// <summary>One parameter of an endpoint.</summary>
/// <param name="Name">The parameter's name, used by keyword arguments.</param>
/// <param name="Type">Its declared type.</param>
/// <param name="Required">False when the parameter has a default.</param>
/// <param name="Default">The default, rendered as JSON, when there is one and it can be shown.</param>
public sealed record ParameterSchema(string Name, TypeSpec Type, bool Required, string? Default = null);

/// <summary>One endpoint of a module: its name, parameters and result type.</summary>
public sealed record EndpointSchema(string Name, IReadOnlyList<ParameterSchema> Parameters, TypeSpec Returns, string? Description = null)
{
    /// <summary>
    /// The author marked the endpoint idempotent (<see cref="EndpointAttribute.Idempotent"/>, Python's
    /// <c>@endpoint(idempotent=True)</c>): a call that may have run can be sent again, to another host.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>
    /// The endpoint answers with a stream of <see cref="Returns"/> items, in order (a C#
    /// <c>IAsyncEnumerable&lt;T&gt;</c>, a Python generator), rather than with one value.
    /// </summary>
    public bool Streaming { get; init; }

    /// <summary>A signature such as <c>forward(text: string, limit: int = 10) -> list[int]</c>; a streaming endpoint's reads <c>-> stream[string]</c>.</summary>
    public string Signature =>
        $"{Name}({string.Join(", ", Parameters.Select(p => p.Required ? $"{p.Name}: {p.Type}" : $"{p.Name}: {p.Type} = {p.Default ?? "…"}"))}) -> {(Streaming ? $"stream[{Returns}]" : Returns.ToString())}";
}

/// <summary>What a host serves as one module: the basis of <c>ls</c> and <c>info</c>.</summary>
public sealed record ModuleInfo(
    string Name,
    string Version,
    string Language,
    string Description,
    IReadOnlyList<string> Tags,
    IReadOnlyList<EndpointSchema> Endpoints,
    string ContentHash)
{
    /// <summary>Who may call (module.json <c>access.mode</c>): open, signed, allow, stake or paid.</summary>
    public string AccessMode { get; init; } = "open";

    /// <summary>For a paid module: the price of one call in $GPT, as an exact decimal ("0.001"); otherwise null.</summary>
    public string? Price { get; init; }

    /// <summary>For a paid module: the price of 1,000 generated tokens in $GPT, when set; otherwise null.</summary>
    public string? PricePer1kTokens { get; init; }
}
