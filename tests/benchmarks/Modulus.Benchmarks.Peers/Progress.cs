namespace Modulus.Benchmarks.Peers;

/// <summary>Progress on stderr, so a long run shows where it is while stdout stays the report.</summary>
internal sealed class Progress(string label, int steps)
{
    private readonly DateTime _started = DateTime.UtcNow;
    private int _done;

    public static Progress Start(string label, int steps)
    {
        if (!Console.IsErrorRedirected)
        {
            Console.Error.Write($"  {label} ...");
        }

        return new Progress(label, steps);
    }

    public void Step()
    {
        _done++;
        if (Console.IsErrorRedirected && _done < steps)
        {
            return;
        }

        Console.Error.Write(_done >= steps
            ? $"{(Console.IsErrorRedirected ? string.Empty : "\r")}  {label}: done in {(DateTime.UtcNow - _started).TotalSeconds:0.0} s\n"
            : $"\r  {label}: {_done}/{steps}");
    }
}
