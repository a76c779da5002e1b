using System.Collections.ObjectModel;
using System.Globalization;

namespace Modulus.Sdk;

/// <summary>The kinds of value that cross a module boundary.</summary>
public enum ValueKind
{
    Null = 0,
    Bool = 1,
    Int = 2,
    Float = 3,
    String = 4,
    Bytes = 5,
    List = 6,
    Map = 7,
    Tensor = 8,
}

/// <summary>
/// One value crossing a module boundary: null, bool, int (64-bit), float (64-bit), string, bytes,
/// list, map (string keys, insertion order kept) or tensor. Immutable.
/// </summary>
public sealed class Value : IEquatable<Value>
{
    private static readonly ReadOnlyDictionary<string, Value> EmptyMap = new(new Dictionary<string, Value>());

    private readonly long _int;
    private readonly double _float;
    private readonly object? _ref;

    private Value(ValueKind kind, long i = 0, double f = 0, object? r = null)
    {
        Kind = kind;
        _int = i;
        _float = f;
        _ref = r;
    }

    /// <summary>The null value.</summary>
    public static Value Null { get; } = new(ValueKind.Null);

    /// <summary>The value <c>true</c>.</summary>
    public static Value True { get; } = new(ValueKind.Bool, 1);

    /// <summary>The value <c>false</c>.</summary>
    public static Value False { get; } = new(ValueKind.Bool, 0);

    /// <summary>What kind of value this is.</summary>
    public ValueKind Kind { get; }

    /// <summary>True for <see cref="ValueKind.Null"/>.</summary>
    public bool IsNull => Kind == ValueKind.Null;

    public static Value From(bool value) => value ? True : False;

    public static Value From(long value) => new(ValueKind.Int, i: value);

    public static Value From(double value) => new(ValueKind.Float, f: value);

    public static Value From(string? value) => value is null ? Null : new(ValueKind.String, r: value);

    public static Value From(Tensor? value) => value is null ? Null : new(ValueKind.Tensor, r: value);

    /// <summary>A bytes value over existing memory (not copied).</summary>
    public static Value FromBytes(ReadOnlyMemory<byte> value) => new(ValueKind.Bytes, r: value);

    /// <summary>A list value. The items are copied into an immutable list.</summary>
    public static Value List(IEnumerable<Value> items) => new(ValueKind.List, r: items.ToArray());

    /// <summary>A list value.</summary>
    public static Value List(params Value[] items) => new(ValueKind.List, r: items.ToArray());

    /// <summary>A map value with string keys. Keys keep the order they are given in.</summary>
    public static Value Map(IEnumerable<KeyValuePair<string, Value>> entries)
    {
        var map = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            map[key] = value;
        }

        return new(ValueKind.Map, r: map);
    }

    public bool AsBool() => Kind == ValueKind.Bool ? _int != 0 : throw WrongKind(ValueKind.Bool);

    public long AsInt() => Kind == ValueKind.Int ? _int : throw WrongKind(ValueKind.Int);

    /// <summary>The number as a double; an int value is widened.</summary>
    public double AsFloat() => Kind switch
    {
        ValueKind.Float => _float,
        ValueKind.Int => _int,
        _ => throw WrongKind(ValueKind.Float),
    };

    public string AsString() => Kind == ValueKind.String ? (string)_ref! : throw WrongKind(ValueKind.String);

    public ReadOnlyMemory<byte> AsBytes() => Kind == ValueKind.Bytes ? (ReadOnlyMemory<byte>)_ref! : throw WrongKind(ValueKind.Bytes);

    public IReadOnlyList<Value> AsList() => Kind == ValueKind.List ? (Value[])_ref! : throw WrongKind(ValueKind.List);

    public IReadOnlyDictionary<string, Value> AsMap() => Kind switch
    {
        ValueKind.Map => (OrderedDictionary<string, Value>)_ref!,
        _ => throw WrongKind(ValueKind.Map),
    };

    public Tensor AsTensor() => Kind == ValueKind.Tensor ? (Tensor)_ref! : throw WrongKind(ValueKind.Tensor);

    public static implicit operator Value(bool value) => From(value);

    public static implicit operator Value(long value) => From(value);

    public static implicit operator Value(int value) => From(value);

    public static implicit operator Value(double value) => From(value);

    public static implicit operator Value(string? value) => From(value);

    public static implicit operator Value(Tensor? value) => From(value);

    /// <inheritdoc />
    public bool Equals(Value? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other.Kind != Kind)
        {
            return false;
        }

        return Kind switch
        {
            ValueKind.Null => true,
            ValueKind.Bool or ValueKind.Int => _int == other._int,
            ValueKind.Float => _float.Equals(other._float),
            ValueKind.String => string.Equals((string)_ref!, (string)other._ref!, StringComparison.Ordinal),
            ValueKind.Bytes => AsBytes().Span.SequenceEqual(other.AsBytes().Span),
            ValueKind.List => AsList().SequenceEqual(other.AsList()),
            ValueKind.Map => MapEquals(AsMap(), other.AsMap()),
            ValueKind.Tensor => AsTensor().Equals(other.AsTensor()),
            _ => false,
        };
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Value);

    /// <inheritdoc />
    public override int GetHashCode() => Kind switch
    {
        ValueKind.Bool or ValueKind.Int => HashCode.Combine(Kind, _int),
        ValueKind.Float => HashCode.Combine(Kind, _float),
        ValueKind.String => HashCode.Combine(Kind, (string)_ref!),
        ValueKind.List => HashCode.Combine(Kind, AsList().Count),
        ValueKind.Map => HashCode.Combine(Kind, AsMap().Count),
        _ => HashCode.Combine(Kind),
    };

    /// <summary>A short, readable rendering (JSON for most values).</summary>
    public override string ToString() => Kind switch
    {
        ValueKind.Float => _float.ToString("R", CultureInfo.InvariantCulture),
        ValueKind.Tensor => AsTensor().ToString(),
        _ => ValueJson.Serialize(this),
    };

    /// <summary>The name of a kind as used in schemas and errors (<c>int</c>, <c>string</c>, …).</summary>
    public static string KindName(ValueKind kind) => kind switch
    {
        ValueKind.Null => "null",
        ValueKind.Bool => "bool",
        ValueKind.Int => "int",
        ValueKind.Float => "float",
        ValueKind.String => "string",
        ValueKind.Bytes => "bytes",
        ValueKind.List => "list",
        ValueKind.Map => "map",
        ValueKind.Tensor => "tensor",
        _ => kind.ToString(),
    };

    internal static IReadOnlyDictionary<string, Value> EmptyKeywords => EmptyMap;

    private static bool MapEquals(IReadOnlyDictionary<string, Value> a, IReadOnlyDictionary<string, Value> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.Equals(other));

    private InvalidCastException WrongKind(ValueKind wanted) =>
        new($"Expected a {KindName(wanted)} value but found {KindName(Kind)}.");
}
