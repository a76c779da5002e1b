namespace Modules.Tensors;

/// <summary>Softmax over the last axis: each row becomes a probability distribution.</summary>
public sealed class Softmax : Module
{
    /// <summary>softmax(x) along the last axis; the result has the input's shape and dtype.</summary>
    public Tensor Forward(Tensor x) => Apply(x, log: false);

    /// <summary>log(softmax(x)) along the last axis, computed without overflow.</summary>
    [Endpoint(Description = "log-softmax along the last axis.")]
    public Tensor LogSoftmax(Tensor x) => Apply(x, log: true);

    private static Tensor Apply(Tensor x, bool log)
    {
        if (x.Shape.Count == 0 || x.Shape[^1] == 0)
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"x must have a non-empty last axis, but its shape is [{string.Join(", ", x.Shape)}]");
        }

        var row = (int)x.Shape[^1];
        switch (x.DType)
        {
            case DType.FP32:
            {
                var input = x.AsSpan<float>();
                var output = new float[input.Length];
                for (var start = 0; start < input.Length; start += row)
                {
                    var src = input.Slice(start, row);
                    var dst = output.AsSpan(start, row);
                    var max = float.NegativeInfinity;
                    foreach (var v in src) { max = Math.Max(max, v); }
                    double sum = 0;
                    for (var i = 0; i < row; i++) { sum += Math.Exp(src[i] - max); }
                    var logSum = Math.Log(sum);
                    for (var i = 0; i < row; i++)
                    {
                        dst[i] = log ? (float)(src[i] - max - logSum) : (float)Math.Exp(src[i] - max - logSum);
                    }
                }

                return Tensor.FromArray(output, x.Shape.ToArray());
            }

            case DType.FP64:
            {
                var input = x.AsSpan<double>();
                var output = new double[input.Length];
                for (var start = 0; start < input.Length; start += row)
                {
                    var src = input.Slice(start, row);
                    var dst = output.AsSpan(start, row);
                    var max = double.NegativeInfinity;
                    foreach (var v in src) { max = Math.Max(max, v); }
                    double sum = 0;
                    for (var i = 0; i < row; i++) { sum += Math.Exp(src[i] - max); }
                    var logSum = Math.Log(sum);
                    for (var i = 0; i < row; i++)
                    {
                        dst[i] = log ? src[i] - max - logSum : Math.Exp(src[i] - max - logSum);
                    }
                }

                return Tensor.FromArray(output, x.Shape.ToArray());
            }

            default:
                throw new ModulusException(StatusCode.InvalidArgument, $"x must be an FP32 or FP64 tensor, not {x.DType}");
        }
    }
}
