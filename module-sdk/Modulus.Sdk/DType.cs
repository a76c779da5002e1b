namespace Modulus.Sdk;

/// <summary>Tensor element types, named as in the Open Inference Protocol.</summary>
public enum DType
{
    BOOL = 1,
    INT8 = 2,
    INT16 = 3,
    INT32 = 4,
    INT64 = 5,
    UINT8 = 6,
    UINT16 = 7,
    UINT32 = 8,
    UINT64 = 9,
    FP16 = 10,
    BF16 = 11,
    FP32 = 12,
    FP64 = 13,
    /// <summary>Variable-length byte strings: each element is a 4-byte little-endian length, then its bytes.</summary>
    BYTES = 14,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element, or 0 for <see cref="DType.BYTES"/>, whose elements vary in size.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.BOOL or DType.INT8 or DType.UINT8 => 1,
        DType.INT16 or DType.UINT16 or DType.FP16 or DType.BF16 => 2,
        DType.INT32 or DType.UINT32 or DType.FP32 => 4,
        DType.INT64 or DType.UINT64 or DType.FP64 => 8,
        DType.BYTES => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>Parses an Open Inference Protocol name such as <c>FP32</c> (case-insensitive).</summary>
    public static bool TryParse(string? name, out DType dtype)
    {
        if (!string.IsNullOrEmpty(name) && Enum.TryParse(name, ignoreCase: true, out dtype) && Enum.IsDefined(dtype))
        {
            return true;
        }

        dtype = default;
        return false;
    }

    /// <summary>The dtype that holds elements of the CLR type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged => Type.GetTypeCode(typeof(T)) switch
    {
        TypeCode.Boolean => DType.BOOL,
        TypeCode.SByte => DType.INT8,
        TypeCode.Int16 => DType.INT16,
        TypeCode.Int32 => DType.INT32,
        TypeCode.Int64 => DType.INT64,
        TypeCode.Byte => DType.UINT8,
        TypeCode.UInt16 => DType.UINT16,
        TypeCode.UInt32 => DType.UINT32,
        TypeCode.UInt64 => DType.UINT64,
        TypeCode.Single => DType.FP32,
        TypeCode.Double => DType.FP64,
        _ when typeof(T) == typeof(Half) => DType.FP16,
        _ => throw new NotSupportedException($"No tensor dtype holds elements of type {typeof(T).Name}."),
    };
}
