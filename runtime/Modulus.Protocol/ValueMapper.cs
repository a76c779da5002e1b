using Google.Protobuf;
using Modulus.Sdk;
using V1 = Modulus.Protocol.V1;

namespace Modulus.Protocol;

/// <summary>
/// Converts SDK values to <c>modulus.v1</c> messages and back. Tensor and bytes data are not
/// copied in either direction: the message wraps the value's memory, and the value views the
/// message's buffer.
/// </summary>
public static class ValueMapper
{
    private static readonly V1.Value NullMessage = new() { NullValue = V1.NullValue.NullValue };

    /// <summary>The deepest nesting of lists and maps accepted from the wire, on every transport and in the CLI's JSON.</summary>
    public const int MaxDepth = 64;

    /// <summary>The refusal of a value nested deeper than <see cref="MaxDepth"/>, worded the same wherever it is found.</summary>
    public const string TooDeepMessage = "values nest at most 64 levels deep (lists and maps); this request nests deeper";

    public static V1.Value ToMessage(Value value) => value.Kind switch
    {
        ValueKind.Null => NullMessage,
        ValueKind.Bool => new V1.Value { BoolValue = value.AsBool() },
        ValueKind.Int => new V1.Value { IntValue = value.AsInt() },
        ValueKind.Float => new V1.Value { FloatValue = value.AsFloat() },
        ValueKind.String => new V1.Value { StringValue = value.AsString() },
        ValueKind.Bytes => new V1.Value { BytesValue = UnsafeByteOperations.UnsafeWrap(value.AsBytes()) },
        ValueKind.List => new V1.Value { ListValue = ToListMessage(value.AsList()) },
        ValueKind.Map => new V1.Value { MapValue = ToMapMessage(value.AsMap()) },
        ValueKind.Tensor => new V1.Value { TensorValue = ToMessage(value.AsTensor()) },
        _ => throw new ArgumentOutOfRangeException(nameof(value), value.Kind, "Unknown value kind."),
    };

    public static V1.Tensor ToMessage(Tensor tensor)
    {
        var message = new V1.Tensor
        {
            Dtype = (V1.DataType)(int)tensor.DType,
            Data = UnsafeByteOperations.UnsafeWrap(tensor.Data),
        };
        foreach (var dim in tensor.Shape)
        {
            message.Shape.Add(dim);
        }

        return message;
    }

    /// <summary>Converts a message into a value.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT: the message is malformed (a tensor whose data does not match its shape, nesting too deep).</exception>
    public static Value FromMessage(V1.Value message) => FromMessage(message, 0);

    public static Tensor FromMessage(V1.Tensor message)
    {
        var dtype = (DType)(int)message.Dtype;
        if (!Enum.IsDefined(dtype))
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"Tensor dtype {(int)message.Dtype} is not one of {string.Join(", ", Enum.GetNames<DType>())}.");
        }

        try
        {
            return Tensor.Create(dtype, message.Shape, message.Data.Memory);
        }
        catch (ArgumentException ex)
        {
            throw new ModulusException(StatusCode.InvalidArgument, ex.Message);
        }
    }

    public static V1.ListValue ToListMessage(IReadOnlyList<Value> items)
    {
        var list = new V1.ListValue();
        foreach (var item in items)
        {
            list.Items.Add(ToMessage(item));
        }

        return list;
    }

    public static V1.MapValue ToMapMessage(IReadOnlyDictionary<string, Value> entries)
    {
        var map = new V1.MapValue();
        foreach (var (key, item) in entries)
        {
            map.Entries.Add(new V1.MapEntry { Key = key, Value = ToMessage(item) });
        }

        return map;
    }

    /// <summary>Reads map entries (as kwargs or a map value); a repeated key keeps its last value.</summary>
    public static IReadOnlyDictionary<string, Value> FromEntries(IEnumerable<V1.MapEntry> entries) => FromEntries(entries, 0);

    private static Value FromMessage(V1.Value message, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ModulusException(StatusCode.InvalidArgument, TooDeepMessage);
        }

        return message.KindCase switch
        {
            V1.Value.KindOneofCase.None or V1.Value.KindOneofCase.NullValue => Value.Null,
            V1.Value.KindOneofCase.BoolValue => Value.From(message.BoolValue),
            V1.Value.KindOneofCase.IntValue => Value.From(message.IntValue),
            V1.Value.KindOneofCase.FloatValue => Value.From(message.FloatValue),
            V1.Value.KindOneofCase.StringValue => Value.From(message.StringValue),
            V1.Value.KindOneofCase.BytesValue => Value.FromBytes(message.BytesValue.Memory),
            V1.Value.KindOneofCase.ListValue => Value.List(message.ListValue.Items.Select(i => FromMessage(i, depth + 1))),
            V1.Value.KindOneofCase.MapValue => Value.Map(FromEntries(message.MapValue.Entries, depth + 1)),
            V1.Value.KindOneofCase.TensorValue => Value.From(FromMessage(message.TensorValue)),
            _ => throw new ModulusException(StatusCode.InvalidArgument, $"Unknown value kind {message.KindCase}."),
        };
    }

    private static IReadOnlyDictionary<string, Value> FromEntries(IEnumerable<V1.MapEntry> entries, int depth)
    {
        var map = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            map[entry.Key] = entry.Value is null ? Value.Null : FromMessage(entry.Value, depth);
        }

        return map;
    }
}
