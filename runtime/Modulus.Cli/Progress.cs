namespace Modulus.Cli;

/// <summary>
/// Step-by-step progress on standard error (so standard output stays the result): "Packing … done".
/// On a terminal a transfer shows a live percentage.
/// </summary>
internal sealed class Progress(TextWriter writer, bool quiet) : Modulus.Registry.IRegistryProgress
{
    private readonly bool _live = !quiet && !Console.IsErrorRedirected;
    private string _step = string.Empty;
    private int _lastPercent = -1;

    public void Step(string text)
    {
        _step = text;
        _lastPercent = -1;
        if (!quiet)
        {
            writer.Write($"{text} ...");
            writer.Flush();
        }
    }

    public void Percent(long done, long total)
    {
        var percent = total == 0 ? 100 : (int)(done * 100 / total);
        if (!_live || percent == _lastPercent)
        {
            return;
        }

        _lastPercent = percent;
        writer.Write($"\r{_step} ... {percent,3}%");
        writer.Flush();
    }

    public void Done(string result)
    {
        if (quiet)
        {
            return;
        }

        writer.WriteLine(_lastPercent >= 0 && _live ? $"\r{_step} ... {result}    " : $" {result}");
        writer.Flush();
    }
}
