namespace Bench;

/// <summary>Returns its input: the cost of a call with no work in it.</summary>
public sealed class Echo : Module
{
    /// <summary>The value given, unchanged.</summary>
    public Value Forward(Value value) => value;
}
