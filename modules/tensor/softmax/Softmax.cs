using System.Numerics;

namespace Modules.Tensors;

/// <summary>Softmax over the last axis: each row becomes a probability distribution.</summary>
public sealed class Softmax : Module
{
    /// <summary>softmax(x) along the last axis; the result has the input's shape and dtype.</summary>
    [Endpoint(Idempotent = true)]
    public Tensor Forward(Tensor x) => Apply(x, log: false);

    /// <summary>log(softmax(x)) along the last axis, computed without overflow.</summary>
    [Endpoint(Description = "log-softmax along the last axis.", Idempotent = true)]
    public Tensor LogSoftmax(Tensor x) => Apply(x, log: true);

    private static Tensor Apply(Tensor x, bool log)
    {
        if (x.Shape.Count == 0 || x.Shape[^1] == 0)
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"x must have a non-empty last axis, but its shape is [{string.Join(", ", x.Shape)}]");
        }

        var row = (int)x.Shape[^1];
        var shape = x.Shape.ToArray();
        return x.DType switch
        {
            DType.FP32 => Tensor.FromArray(Rows(x.AsSpan<float>(), row, log), shape),
            DType.FP64 => Tensor.FromArray(Rows(x.AsSpan<double>(), row, log), shape),
            _ => throw new ModulusException(StatusCode.InvalidArgument, $"x must be an FP32 or FP64 tensor, not {x.DType}"),
        };
    }

    /// <summary>Each row minus its maximum before exponentiating, so no row overflows.</summary>
    private static T[] Rows<T>(ReadOnlySpan<T> input, int row, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var output = new T[input.Length];
        for (var start = 0; start < input.Length; start += row)
        {
            var source = input.Slice(start, row);
            var max = T.NegativeInfinity;
            foreach (var v in source)
            {
                max = T.Max(max, v);
            }

            var sum = T.Zero;
            foreach (var v in source)
            {
                sum += T.Exp(v - max);
            }

            var logSum = T.Log(sum);
            for (var i = 0; i < row; i++)
            {
                var shifted = source[i] - max - logSum;
                output[start + i] = log ? shifted : T.Exp(shifted);
            }
        }

        return output;
    }
}
