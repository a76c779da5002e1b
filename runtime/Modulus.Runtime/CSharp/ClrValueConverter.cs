using System.Collections;
using Modulus.Sdk;

namespace Modulus.Runtime.CSharp;

/// <summary>
/// Maps the plain CLR types of C# endpoint signatures to value types and converts between them.
/// </summary>
internal static class ClrValueConverter
{
    /// <summary>The declared type a CLR type stands for; null when the type cannot cross a module boundary.</summary>
    public static TypeSpec? SpecOf(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return SpecOf(underlying)?.OrNull();
        }

        if (type == typeof(Value) || type == typeof(object))
        {
            return TypeSpec.Any;
        }

        if (type == typeof(string))
        {
            return TypeSpec.String;
        }

        if (type == typeof(bool))
        {
            return TypeSpec.Bool;
        }

        if (type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(sbyte)
            || type == typeof(ulong) || type == typeof(uint) || type == typeof(ushort) || type == typeof(byte))
        {
            return TypeSpec.Int;
        }

        if (type == typeof(double) || type == typeof(float))
        {
            return TypeSpec.Float;
        }

        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>) || type == typeof(Memory<byte>))
        {
            return TypeSpec.Bytes;
        }

        if (type == typeof(Tensor))
        {
            return TypeSpec.Tensor;
        }

        if (MapValueType(type) is { } mapValue)
        {
            return SpecOf(mapValue) is { } inner ? TypeSpec.MapOf(inner) : null;
        }

        if (ListElementType(type) is { } element)
        {
            return SpecOf(element) is { } inner ? TypeSpec.ListOf(inner) : null;
        }

        return null;
    }

    /// <summary>Converts a value (already checked against <see cref="SpecOf"/>) to the CLR type.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT: the value does not fit (out of range, say).</exception>
    public static object? ToClr(Value value, Type type, string path)
    {
        if (type == typeof(Value))
        {
            return value;
        }

        if (value.IsNull)
        {
            return type.IsValueType && Nullable.GetUnderlyingType(type) is null
                ? throw Invalid(path, $"must not be null (it is a {type.Name})")
                : null;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            switch (value.Kind)
            {
                case ValueKind.Int when type == typeof(long): return value.AsInt();
                case ValueKind.Int when type == typeof(int): return checked((int)value.AsInt());
                case ValueKind.Int when type == typeof(short): return checked((short)value.AsInt());
                case ValueKind.Int when type == typeof(sbyte): return checked((sbyte)value.AsInt());
                case ValueKind.Int when type == typeof(ulong): return checked((ulong)value.AsInt());
                case ValueKind.Int when type == typeof(uint): return checked((uint)value.AsInt());
                case ValueKind.Int when type == typeof(ushort): return checked((ushort)value.AsInt());
                case ValueKind.Int when type == typeof(byte): return checked((byte)value.AsInt());
                case ValueKind.Int or ValueKind.Float when type == typeof(double): return value.AsFloat();
                case ValueKind.Int or ValueKind.Float when type == typeof(float): return (float)value.AsFloat();
                case ValueKind.Bool when type == typeof(bool): return value.AsBool();
                case ValueKind.String when type == typeof(string): return value.AsString();
                case ValueKind.Bytes when type == typeof(ReadOnlyMemory<byte>): return value.AsBytes();
                case ValueKind.Bytes when type == typeof(byte[]): return value.AsBytes().ToArray();
                case ValueKind.Bytes when type == typeof(Memory<byte>): return new Memory<byte>(value.AsBytes().ToArray());
                case ValueKind.Tensor when type == typeof(Tensor): return value.AsTensor();
                case ValueKind.List when ListElementType(type) is { } element: return ToList(value.AsList(), type, element, path);
                case ValueKind.Map when MapValueType(type) is { } mapValue: return ToMap(value.AsMap(), mapValue, path);
                case var _ when type == typeof(object): return ToNatural(value);
            }
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"{value} is out of range for {type.Name}");
        }

        throw Invalid(path, $"must be {SpecOf(type)}, not {Value.KindName(value.Kind)}");
    }

    /// <summary>Converts an endpoint's CLR result to a value.</summary>
    /// <exception cref="ModulusException">INTERNAL: the endpoint returned a type that cannot cross a module boundary.</exception>
    public static Value FromClr(object? result) => result switch
    {
        null => Value.Null,
        Value v => v,
        string s => Value.From(s),
        bool b => Value.From(b),
        long l => Value.From(l),
        int i => Value.From(i),
        short s => Value.From(s),
        sbyte s => Value.From(s),
        byte b => Value.From(b),
        ushort u => Value.From(u),
        uint u => Value.From(u),
        ulong u => u <= long.MaxValue ? Value.From((long)u) : throw new ModulusException(StatusCode.Internal, $"The endpoint returned {u}, beyond the int64 range of an int value."),
        double d => Value.From(d),
        float f => Value.From(f),
        Tensor t => Value.From(t),
        byte[] bytes => Value.FromBytes(bytes),
        ReadOnlyMemory<byte> memory => Value.FromBytes(memory),
        Memory<byte> memory => Value.FromBytes(memory),
        IDictionary dictionary => Value.Map(MapEntries(dictionary)),
        IEnumerable enumerable => Value.List(enumerable.Cast<object?>().Select(FromClr)),
        _ => throw new ModulusException(StatusCode.Internal, $"The endpoint returned a {result.GetType().Name}, which cannot cross a module boundary; return a string, number, bool, bytes, Tensor, list, dictionary with string keys, or Value."),
    };

    private static IEnumerable<KeyValuePair<string, Value>> MapEntries(IDictionary dictionary)
    {
        foreach (DictionaryEntry entry in dictionary)
        {
            yield return KeyValuePair.Create(entry.Key as string ?? Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, FromClr(entry.Value));
        }
    }

    private static object? ToNatural(Value value) => value.Kind switch
    {
        ValueKind.Null => null,
        ValueKind.Bool => value.AsBool(),
        ValueKind.Int => value.AsInt(),
        ValueKind.Float => value.AsFloat(),
        ValueKind.String => value.AsString(),
        ValueKind.Bytes => value.AsBytes().ToArray(),
        ValueKind.List => value.AsList().Select(ToNatural).ToList(),
        ValueKind.Map => value.AsMap().ToDictionary(kv => kv.Key, kv => ToNatural(kv.Value)),
        ValueKind.Tensor => value.AsTensor(),
        _ => null,
    };

    private static object ToList(IReadOnlyList<Value> items, Type type, Type element, string path)
    {
        var array = Array.CreateInstance(element, items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            array.SetValue(ToClr(items[i], element, $"{path}[{i}]"), i);
        }

        if (type.IsArray)
        {
            return array;
        }

        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element), items.Count)!;
        foreach (var item in array)
        {
            list.Add(item);
        }

        return list;
    }

    private static object ToMap(IReadOnlyDictionary<string, Value> entries, Type valueType, string path)
    {
        var map = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
        foreach (var (key, item) in entries)
        {
            map[key] = ToClr(item, valueType, $"{path}.{key}");
        }

        return map;
    }

    private static Type? ListElementType(Type type)
    {
        if (type.IsArray && type.GetArrayRank() == 1)
        {
            return type.GetElementType();
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(ICollection<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static Type? MapValueType(Type type)
    {
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = type.GetGenericArguments();
            if ((definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
                && arguments[0] == typeof(string))
            {
                return arguments[1];
            }
        }

        return null;
    }

    private static ModulusException Invalid(string path, string message) => new(StatusCode.InvalidArgument, $"argument \"{path}\" {message}");
}
