using Modulus.Sdk;

namespace Modulus.Runtime.Isolation;

/// <summary>How deep a value nests, measured without recursion so that any depth can be measured.</summary>
internal static class ValueDepth
{
    /// <summary>Whether <paramref name="value"/> nests lists and maps deeper than <paramref name="limit"/> levels.</summary>
    public static bool Exceeds(Value value, int limit)
    {
        var pending = new Stack<(Value Value, int Depth)>();
        pending.Push((value, 0));
        while (pending.TryPop(out var item))
        {
            if (item.Depth > limit)
            {
                return true;
            }

            switch (item.Value.Kind)
            {
                case ValueKind.List:
                    foreach (var child in item.Value.AsList())
                    {
                        pending.Push((child, item.Depth + 1));
                    }

                    break;
                case ValueKind.Map:
                    foreach (var child in item.Value.AsMap().Values)
                    {
                        pending.Push((child, item.Depth + 1));
                    }

                    break;
            }
        }

        return false;
    }
}
