using Modulus.Sdk;

namespace Modulus.Runtime.Invocation;

/// <summary>
/// Binds a call's positional and keyword arguments to an endpoint's parameters, checking each
/// against its declared type. One binder serves every language, driven by the endpoint's schema.
/// </summary>
internal static class ArgumentBinder
{
    /// <summary>One slot per parameter; null where the caller gave nothing and a default applies.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT naming the parameter at fault.</exception>
    public static Value?[] Bind(string target, EndpointSchema endpoint, IReadOnlyList<Value> args, IReadOnlyDictionary<string, Value> kwargs)
    {
        var parameters = endpoint.Parameters;
        if (args.Count > parameters.Count)
        {
            throw Invalid($"{target} takes {Count(parameters.Count, "argument")} but {args.Count} were given; its signature is {endpoint.Signature}");
        }

        var bound = new Value?[parameters.Count];
        for (var i = 0; i < args.Count; i++)
        {
            bound[i] = Check(target, parameters[i], args[i]);
        }

        foreach (var (name, value) in kwargs)
        {
            var index = IndexOf(parameters, name);
            if (index < 0)
            {
                throw Invalid($"{target} has no parameter \"{name}\"; its signature is {endpoint.Signature}");
            }

            if (bound[index] is not null)
            {
                throw Invalid($"{target} got parameter \"{name}\" twice, by position and by keyword");
            }

            bound[index] = Check(target, parameters[index], value);
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            if (bound[i] is null && parameters[i].Required)
            {
                throw Invalid($"{target} is missing argument \"{parameters[i].Name}\" ({parameters[i].Type}); its signature is {endpoint.Signature}");
            }
        }

        return bound;
    }

    /// <summary>The value converted to the declared type (an int where a float is declared becomes a float).</summary>
    public static Value Coerce(Value value, TypeSpec type, string path)
    {
        if (value.IsNull)
        {
            return type.IsNullable ? value : throw new ArgumentMismatchException(path, type, value);
        }

        switch (type.Kind)
        {
            case "any":
                return value;
            case "float" when value.Kind == ValueKind.Int:
                return Value.From((double)value.AsInt());
            case "list" when value.Kind == ValueKind.List:
                return type.Element is null || type.Element.Kind == "any" ? value : CoerceList(value, type.Element, path);
            case "map" when value.Kind == ValueKind.Map:
                return type.Element is null || type.Element.Kind == "any" ? value : CoerceMap(value, type.Element, path);
            default:
                return Value.KindName(value.Kind) == type.Kind ? value : throw new ArgumentMismatchException(path, type, value);
        }
    }

    private static Value CoerceList(Value value, TypeSpec element, string path)
    {
        var items = value.AsList();
        Value[]? changed = null;
        for (var i = 0; i < items.Count; i++)
        {
            var coerced = Coerce(items[i], element, $"{path}[{i}]");
            if (!ReferenceEquals(coerced, items[i]))
            {
                changed ??= items.ToArray();
                changed[i] = coerced;
            }
        }

        return changed is null ? value : Value.List(changed);
    }

    private static Value CoerceMap(Value value, TypeSpec element, string path) =>
        Value.Map(value.AsMap().Select(kv => KeyValuePair.Create(kv.Key, Coerce(kv.Value, element, $"{path}.{kv.Key}"))));

    private static Value Check(string target, ParameterSchema parameter, Value value)
    {
        try
        {
            return Coerce(value, parameter.Type, parameter.Name);
        }
        catch (ArgumentMismatchException ex)
        {
            throw Invalid($"{target}: argument \"{ex.Path}\" must be {ex.Expected} but is {Describe(ex.Found)}");
        }
    }

    private static string Describe(Value value) => value.Kind switch
    {
        ValueKind.Null => "null",
        ValueKind.String => $"the string {Truncate(ValueJson.Serialize(value))}",
        ValueKind.Tensor => $"a {value.AsTensor()}",
        ValueKind.List or ValueKind.Map => $"a {Value.KindName(value.Kind)}",
        _ => $"the {Value.KindName(value.Kind)} {Truncate(value.ToString())}",
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..37] + "...";

    private static int IndexOf(IReadOnlyList<ParameterSchema> parameters, string name)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static ModulusException Invalid(string message) => new(StatusCode.InvalidArgument, message);
}

/// <summary>A value does not match its declared type.</summary>
internal sealed class ArgumentMismatchException(string path, TypeSpec expected, Value found)
    : Exception($"{path} must be {expected}, not {Value.KindName(found.Kind)}")
{
    public string Path { get; } = path;

    public TypeSpec Expected { get; } = expected;

    public Value Found { get; } = found;
}
