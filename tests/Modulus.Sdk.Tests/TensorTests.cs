using Modulus.Sdk;

namespace Modulus.Sdk.Tests;

public class TensorTests
{
    [Fact]
    public void FromArray_ViewsTheArrayWithoutCopying()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var tensor = Tensor.FromArray(data, 2, 3);

        data[4] = 42;

        Assert.Equal(DType.FP32, tensor.DType);
        Assert.Equal([2L, 3L], tensor.Shape);
        Assert.Equal(24, tensor.Data.Length);
        Assert.Equal(42f, tensor.AsSpan<float>()[4]);
    }

    [Fact]
    public void Create_DataOfWrongLength_ThrowsNamingShapeAndSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Create(DType.FP32, [2, 2], new byte[12]));
        Assert.Contains("[2, 2]", ex.Message);
        Assert.Contains("16 bytes", ex.Message);
        Assert.Contains("12", ex.Message);
    }

    [Fact]
    public void Create_NegativeDimension_Throws()
    {
        Assert.Throws<ArgumentException>(() => Tensor.Create(DType.INT8, [-1], ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public void AsSpan_WrongElementType_ThrowsNamingBoth()
    {
        var tensor = Tensor.FromArray(new long[] { 1, 2 });
        var ex = Assert.Throws<InvalidOperationException>(() => tensor.AsSpan<float>().Length);
        Assert.Contains("INT64", ex.Message);
        Assert.Contains("Single", ex.Message);
    }

    [Fact]
    public void ByteStrings_RoundTrip()
    {
        var tensor = Tensor.FromByteStrings([[1, 2], [], [3]]);
        Assert.Equal(DType.BYTES, tensor.DType);
        Assert.Equal([3L], tensor.Shape);
        var items = tensor.ToByteStrings();
        Assert.Equal(3, items.Count);
        Assert.Equal(new byte[] { 1, 2 }, items[0]);
        Assert.Empty(items[1]);
    }

    [Fact]
    public void Create_ShapeWhoseByteCountOverflows_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Create(DType.FP32, [1L << 62], ReadOnlyMemory<byte>.Empty));
        Assert.Contains("too large", ex.Message);
    }

    [Fact]
    public void Create_BytesTensorWithTruncatedElement_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Create(DType.BYTES, [1], new byte[] { 9, 0, 0, 0, 1 }));
        Assert.Contains("claims 9 bytes", ex.Message);
    }

    [Fact]
    public void Equals_ComparesDtypeShapeAndData()
    {
        var a = Tensor.FromArray(new int[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Equal(a, Tensor.FromArray(new int[] { 1, 2, 3, 4 }, 2, 2));
        Assert.NotEqual(a, Tensor.FromArray(new int[] { 1, 2, 3, 4 }, 4));
        Assert.NotEqual(a, Tensor.FromArray(new int[] { 1, 2, 3, 5 }, 2, 2));
    }
}
