using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Modulus.Sdk;

/// <summary>
/// An n-dimensional array: a dtype, a shape and raw little-endian element data.
/// The data is held as memory, never copied by the tensor itself: <see cref="AsSpan{T}"/>
/// reinterprets it in place, and a tensor received from the wire views the message's buffer.
/// </summary>
public sealed class Tensor : IEquatable<Tensor>
{
    private readonly long[] _shape;

    private Tensor(DType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        DType = dtype;
        _shape = shape;
        Data = data;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The size of each dimension; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The raw element data, little-endian, row-major.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The number of elements (the product of the shape).</summary>
    public long ElementCount => CountElements(_shape);

    /// <summary>
    /// Wraps existing data without copying it. The data's length must match the dtype and shape.
    /// </summary>
    /// <exception cref="ArgumentException">The data's length does not match the dtype and shape.</exception>
    public static Tensor Create(DType dtype, IEnumerable<long> shape, ReadOnlyMemory<byte> data)
    {
        var dims = shape.ToArray();
        Validate(dtype, dims, data.Span);
        return new Tensor(dtype, dims, data);
    }

    /// <summary>Wraps an array of elements without copying it (on little-endian machines).</summary>
    public static Tensor FromArray<T>(T[] elements, params long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(elements);
        var dims = shape.Length == 0 ? [elements.LongLength] : shape;
        if (CountElements(dims) != elements.LongLength)
        {
            throw new ArgumentException(
                $"A shape of [{string.Join(", ", dims)}] holds {CountElements(dims)} elements, but {elements.Length} were given.");
        }

        EnsureLittleEndian();
        var memory = new ElementMemoryManager<T>(elements).Memory;
        return new Tensor(DTypes.Of<T>(), dims, memory);
    }

    /// <summary>Builds a one-dimensional <see cref="DType.BYTES"/> tensor from byte strings.</summary>
    public static Tensor FromByteStrings(IReadOnlyList<byte[]> items)
    {
        var size = items.Sum(i => 4 + i.Length);
        var data = new byte[size];
        var offset = 0;
        foreach (var item in items)
        {
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(offset), item.Length);
            item.CopyTo(data, offset + 4);
            offset += 4 + item.Length;
        }

        return new Tensor(DType.BYTES, [items.Count], data);
    }

    /// <summary>
    /// The elements, reinterpreted in place as <typeparamref name="T"/> (no copy).
    /// </summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match the dtype.</exception>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        var wanted = DTypes.Of<T>();
        if (wanted != DType && !(DType == DType.BF16 && typeof(T) == typeof(ushort)))
        {
            throw new InvalidOperationException($"This tensor holds {DType} elements; it cannot be read as {typeof(T).Name} ({wanted}).");
        }

        EnsureLittleEndian();
        return MemoryMarshal.Cast<byte, T>(Data.Span);
    }

    /// <summary>Copies the elements into a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged => AsSpan<T>().ToArray();

    /// <summary>The elements of a <see cref="DType.BYTES"/> tensor.</summary>
    public IReadOnlyList<byte[]> ToByteStrings()
    {
        if (DType != DType.BYTES)
        {
            throw new InvalidOperationException($"This tensor holds {DType} elements, not BYTES.");
        }

        var result = new List<byte[]>();
        var span = Data.Span;
        while (!span.IsEmpty)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(span);
            result.Add(span.Slice(4, length).ToArray());
            span = span[(4 + length)..];
        }

        return result;
    }

    /// <inheritdoc />
    public bool Equals(Tensor? other) =>
        other is not null && DType == other.DType && _shape.AsSpan().SequenceEqual(other._shape) && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Tensor);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DType, _shape.Length, Data.Length);

    /// <inheritdoc />
    public override string ToString() => $"tensor<{DType}>[{string.Join(", ", _shape)}]";

    internal static long CountElements(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            count = checked(count * dim);
        }

        return count;
    }

    private static void Validate(DType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentException($"Unknown tensor dtype {(int)dtype}.");
        }

        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] has a negative dimension.");
            }
        }

        long count;
        try
        {
            count = CountElements(shape);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] is too large.");
        }

        if (dtype == DType.BYTES)
        {
            long seen = 0;
            var rest = data;
            while (!rest.IsEmpty)
            {
                if (rest.Length < 4)
                {
                    throw new ArgumentException("BYTES tensor data ends inside an element's length prefix.");
                }

                var length = BinaryPrimitives.ReadInt32LittleEndian(rest);
                if (length < 0 || length > rest.Length - 4)
                {
                    throw new ArgumentException($"BYTES tensor element {seen} claims {length} bytes, but only {rest.Length - 4} remain.");
                }

                rest = rest[(4 + length)..];
                seen++;
            }

            if (seen != count)
            {
                throw new ArgumentException($"BYTES tensor of shape [{string.Join(", ", shape)}] needs {count} elements, but its data holds {seen}.");
            }

            return;
        }

        // Checked: a shape of [2^62] FP32 elements would otherwise wrap to 0 bytes and pass with no data.
        long expected;
        try
        {
            expected = checked(count * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] is too large: its {dtype} data would exceed 2^63 bytes.");
        }

        if (expected != data.Length)
        {
            throw new ArgumentException(
                $"A {dtype} tensor of shape [{string.Join(", ", shape)}] needs {expected} bytes of data, but {data.Length} were given.");
        }
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Modulus tensors are little-endian; this machine is big-endian.");
        }
    }

    /// <summary>Exposes a typed array as bytes without copying it.</summary>
    private sealed class ElementMemoryManager<T>(T[] elements) : System.Buffers.MemoryManager<byte> where T : unmanaged
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(elements.AsSpan());

        public override unsafe System.Buffers.MemoryHandle Pin(int elementIndex = 0)
        {
            // The handle is freed when the caller disposes the MemoryHandle.
            var handle = GCHandle.Alloc(elements, GCHandleType.Pinned);
            return new System.Buffers.MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
