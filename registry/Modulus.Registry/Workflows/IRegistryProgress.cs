namespace Modulus.Registry;

/// <summary>Where a long registry workflow reports its steps (the CLI prints them on standard error).</summary>
public interface IRegistryProgress
{
    /// <summary>A step begins, e.g. "Packing modules/text/stats".</summary>
    void Step(string text);

    /// <summary>How far a transfer in the current step is.</summary>
    void Percent(long done, long total);

    /// <summary>The current step ended with this result.</summary>
    void Done(string result);
}

/// <summary>Progress nobody watches.</summary>
public sealed class NoProgress : IRegistryProgress
{
    /// <summary>The one instance.</summary>
    public static NoProgress Instance { get; } = new();

    /// <inheritdoc />
    public void Step(string text)
    {
    }

    /// <inheritdoc />
    public void Percent(long done, long total)
    {
    }

    /// <inheritdoc />
    public void Done(string result)
    {
    }
}
