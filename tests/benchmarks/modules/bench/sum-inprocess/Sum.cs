using System.Numerics;

namespace Bench;

/// <summary>The sum of a float32 tensor: a call whose cost is moving the tensor.</summary>
public sealed class Sum : Module
{
    /// <summary>The sum of all elements, accumulated in float32 lanes as numpy does.</summary>
    public double Forward(Tensor x)
    {
        var values = x.AsSpan<float>();
        var lanes = Vector<float>.Zero;
        var i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            lanes += new Vector<float>(values[i..]);
        }

        var sum = Vector.Sum(lanes);
        for (; i < values.Length; i++)
        {
            sum += values[i];
        }

        return sum;
    }
}
