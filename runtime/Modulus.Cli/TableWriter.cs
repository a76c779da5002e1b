namespace Modulus.Cli;

/// <summary>Writes rows as an aligned plain-text table.</summary>
internal sealed class TableWriter(params string[] headers)
{
    private const int MaxCell = 72;
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells.Select(c => c.Length > MaxCell ? c[..(MaxCell - 1)] + "…" : c).ToArray());

    public void Write(TextWriter writer)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        writer.WriteLine(Line(headers, widths));
        foreach (var row in _rows)
        {
            writer.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
