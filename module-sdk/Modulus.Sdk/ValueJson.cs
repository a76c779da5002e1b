using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Modulus.Sdk;

/// <summary>
/// Converts values to and from JSON, the form the CLI reads and prints. JSON null, booleans,
/// numbers, strings, arrays and objects map to the matching values (a number without a fraction
/// or exponent is an int). Three tagged objects carry what JSON lacks:
/// <c>{"$bytes": "base64"}</c>, <c>{"$tensor": {"dtype": "FP32", "shape": [2], "data": [1, 2]}}</c>
/// and <c>{"$float": "NaN"}</c> (also <c>Infinity</c>, <c>-Infinity</c>).
/// </summary>
public static class ValueJson
{
    private static readonly JsonWriterOptions CompactOptions = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Renders a value as compact JSON.</summary>
    public static string Serialize(Value value, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, CompactOptions with { Indented = indented }))
        {
            Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a value to a JSON writer.</summary>
    public static void Write(Utf8JsonWriter writer, Value value)
    {
        switch (value.Kind)
        {
            case ValueKind.Null:
                writer.WriteNullValue();
                break;
            case ValueKind.Bool:
                writer.WriteBooleanValue(value.AsBool());
                break;
            case ValueKind.Int:
                writer.WriteNumberValue(value.AsInt());
                break;
            case ValueKind.Float:
                WriteFloat(writer, value.AsFloat());
                break;
            case ValueKind.String:
                writer.WriteStringValue(value.AsString());
                break;
            case ValueKind.Bytes:
                writer.WriteStartObject();
                writer.WriteBase64String("$bytes", value.AsBytes().Span);
                writer.WriteEndObject();
                break;
            case ValueKind.List:
                writer.WriteStartArray();
                foreach (var item in value.AsList())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case ValueKind.Map:
                writer.WriteStartObject();
                foreach (var (key, item) in value.AsMap())
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }

                writer.WriteEndObject();
                break;
            case ValueKind.Tensor:
                WriteTensor(writer, value.AsTensor());
                break;
        }
    }

    /// <summary>The deepest nesting of lists and maps, as every transport enforces it.</summary>
    public const int MaxDepth = 64;

    private static bool IsJsonDeeperThanTheLimit(string text)
    {
        try
        {
            // Deep enough to tell "too deep" from "not JSON" for any argument a shell can pass.
            using var deep = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 100_000 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Parses JSON text into a value.</summary>
    /// <exception cref="FormatException">The text is not JSON, or a tagged object is malformed.</exception>
    public static Value Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return FromElement(document.RootElement, "$");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Parses text that may be JSON: false when it is not JSON at all. JSON whose tagged objects are
    /// malformed (a <c>$tensor</c> whose data does not fit its shape, say) still throws.
    /// </summary>
    /// <exception cref="FormatException">The text is JSON, but a tagged object in it is malformed.</exception>
    public static bool TryParse(string text, out Value value)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException) when (IsJsonDeeperThanTheLimit(text))
        {
            // JSON, but nested deeper than any transport carries: say so rather than send it as a string.
            throw new FormatException($"values nest at most {MaxDepth} levels deep (lists and maps); this JSON nests deeper");
        }
        catch (JsonException)
        {
            value = Value.Null;
            return false;
        }

        using (document)
        {
            value = FromElement(document.RootElement, "$");
            return true;
        }
    }

    /// <summary>Converts a parsed JSON element into a value.</summary>
    public static Value FromElement(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return Value.Null;
            case JsonValueKind.True:
                return Value.True;
            case JsonValueKind.False:
                return Value.False;
            case JsonValueKind.String:
                return Value.From(element.GetString());
            case JsonValueKind.Number:
                var raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") < 0 && element.TryGetInt64(out var i))
                {
                    return Value.From(i);
                }

                return Value.From(element.GetDouble());
            case JsonValueKind.Array:
                var items = new List<Value>(element.GetArrayLength());
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    items.Add(FromElement(item, $"{path}[{index++}]"));
                }

                return Value.List(items);
            case JsonValueKind.Object:
                return FromObject(element, path);
            default:
                throw new FormatException($"Unsupported JSON at {path}.");
        }
    }

    private static Value FromObject(JsonElement element, string path)
    {
        var properties = element.EnumerateObject().ToList();
        if (properties.Count == 1)
        {
            var only = properties[0];
            switch (only.Name)
            {
                case "$bytes":
                    if (only.Value.ValueKind != JsonValueKind.String || !only.Value.TryGetBytesFromBase64(out var bytes))
                    {
                        throw new FormatException($"{path}.$bytes must be a base64 string.");
                    }

                    return Value.FromBytes(bytes);
                case "$tensor":
                    return Value.From(ReadTensor(only.Value, $"{path}.$tensor"));
                case "$float":
                    return only.Value.GetString() switch
                    {
                        "NaN" => Value.From(double.NaN),
                        "Infinity" => Value.From(double.PositiveInfinity),
                        "-Infinity" => Value.From(double.NegativeInfinity),
                        var other => throw new FormatException($"{path}.$float must be \"NaN\", \"Infinity\" or \"-Infinity\", not {other}."),
                    };
            }
        }

        return Value.Map(properties.Select(p => KeyValuePair.Create(p.Name, FromElement(p.Value, $"{path}.{p.Name}"))));
    }

    private static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            var text = value.ToString("R", CultureInfo.InvariantCulture);
            // Keep a float a float on the way back: 1.0 must not read as the int 1.
            if (text.AsSpan().IndexOfAny(".eE") < 0)
            {
                text += ".0";
            }

            writer.WriteRawValue(text, skipInputValidation: true);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("$float", double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        writer.WriteEndObject();
    }

    private static void WriteSingle(Utf8JsonWriter writer, float value)
    {
        // The shortest text that reads back as the same float, not the digits of its widened double.
        if (float.IsFinite(value))
        {
            writer.WriteRawValue(value.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: true);
            return;
        }

        WriteFloat(writer, value);
    }

    private static void WriteTensor(Utf8JsonWriter writer, Tensor tensor)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("$tensor");
        writer.WriteStartObject();
        writer.WriteString("dtype", tensor.DType.ToString());
        writer.WriteStartArray("shape");
        foreach (var dim in tensor.Shape)
        {
            writer.WriteNumberValue(dim);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("data");
        switch (tensor.DType)
        {
            case DType.BOOL: foreach (var x in tensor.AsSpan<bool>()) { writer.WriteBooleanValue(x); } break;
            case DType.INT8: foreach (var x in tensor.AsSpan<sbyte>()) { writer.WriteNumberValue(x); } break;
            case DType.INT16: foreach (var x in tensor.AsSpan<short>()) { writer.WriteNumberValue(x); } break;
            case DType.INT32: foreach (var x in tensor.AsSpan<int>()) { writer.WriteNumberValue(x); } break;
            case DType.INT64: foreach (var x in tensor.AsSpan<long>()) { writer.WriteNumberValue(x); } break;
            case DType.UINT8: foreach (var x in tensor.AsSpan<byte>()) { writer.WriteNumberValue(x); } break;
            case DType.UINT16: foreach (var x in tensor.AsSpan<ushort>()) { writer.WriteNumberValue(x); } break;
            case DType.UINT32: foreach (var x in tensor.AsSpan<uint>()) { writer.WriteNumberValue(x); } break;
            case DType.UINT64: foreach (var x in tensor.AsSpan<ulong>()) { writer.WriteNumberValue(x); } break;
            case DType.FP16: foreach (var x in tensor.AsSpan<Half>()) { WriteFloat(writer, (double)x); } break;
            case DType.BF16: foreach (var x in tensor.AsSpan<ushort>()) { WriteFloat(writer, BitConverter.Int32BitsToSingle(x << 16)); } break;
            case DType.FP32: foreach (var x in tensor.AsSpan<float>()) { WriteSingle(writer, x); } break;
            case DType.FP64: foreach (var x in tensor.AsSpan<double>()) { WriteFloat(writer, x); } break;
            case DType.BYTES: foreach (var x in tensor.ToByteStrings()) { writer.WriteBase64StringValue(x); } break;
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static Tensor ReadTensor(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("dtype", out var dtypeElement)
            || !element.TryGetProperty("data", out var dataElement)
            || dataElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{path} must be an object with \"dtype\", \"data\" (an array) and optionally \"shape\".");
        }

        if (!DTypes.TryParse(dtypeElement.GetString(), out var dtype))
        {
            throw new FormatException($"{path}.dtype \"{dtypeElement}\" is not a dtype; use one of {string.Join(", ", Enum.GetNames<DType>())}.");
        }

        long[] shape;
        if (element.TryGetProperty("shape", out var shapeElement))
        {
            if (shapeElement.ValueKind != JsonValueKind.Array || shapeElement.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Number))
            {
                throw new FormatException($"{path}.shape must be an array of integers.");
            }

            shape = shapeElement.EnumerateArray().Select(d => d.GetInt64()).ToArray();
        }
        else
        {
            shape = [dataElement.GetArrayLength()];
        }

        try
        {
            var data = dataElement.EnumerateArray().ToList();
            return dtype switch
            {
                DType.BOOL => Tensor.FromArray(data.Select(d => d.GetBoolean()).ToArray(), shape),
                DType.INT8 => Tensor.FromArray(data.Select(d => d.GetSByte()).ToArray(), shape),
                DType.INT16 => Tensor.FromArray(data.Select(d => d.GetInt16()).ToArray(), shape),
                DType.INT32 => Tensor.FromArray(data.Select(d => d.GetInt32()).ToArray(), shape),
                DType.INT64 => Tensor.FromArray(data.Select(d => d.GetInt64()).ToArray(), shape),
                DType.UINT8 => Tensor.FromArray(data.Select(d => d.GetByte()).ToArray(), shape),
                DType.UINT16 => Tensor.FromArray(data.Select(d => d.GetUInt16()).ToArray(), shape),
                DType.UINT32 => Tensor.FromArray(data.Select(d => d.GetUInt32()).ToArray(), shape),
                DType.UINT64 => Tensor.FromArray(data.Select(d => d.GetUInt64()).ToArray(), shape),
                DType.FP16 => Tensor.FromArray(data.Select(d => (Half)d.GetDouble()).ToArray(), shape),
                DType.BF16 => Tensor.Create(DType.BF16, shape, data.SelectMany(d => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(d.GetSingle()) >> 16))).ToArray()),
                DType.FP32 => Tensor.FromArray(data.Select(d => d.GetSingle()).ToArray(), shape),
                DType.FP64 => Tensor.FromArray(data.Select(d => d.GetDouble()).ToArray(), shape),
                DType.BYTES => Tensor.FromByteStrings(data.Select(d => d.GetBytesFromBase64()).ToArray()),
                _ => throw new FormatException($"{path}.dtype {dtype} is not supported."),
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }
}
