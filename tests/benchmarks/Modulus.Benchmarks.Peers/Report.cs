using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Modulus.Benchmarks.Peers;

/// <summary>One measured number, as the machine-readable results file lists it.</summary>
internal sealed record Figure(string Section, string Case, string System, string Metric, double Value, string Unit);

/// <summary>BENCHMARKS.md as it is built (sections of prose and tables) and the figures behind it for BENCHMARKS.json.</summary>
internal sealed class Report
{
    private readonly StringBuilder _markdown = new();

    public List<Figure> Figures { get; } = [];

    public void Add(string section, string @case, string system, string metric, double value, string unit) =>
        Figures.Add(new Figure(section, @case, system, metric, Math.Round(value, 3), unit));

    public void Heading(string text, int level = 2) => _markdown.Append('\n').Append('#', level).Append(' ').AppendLine(text).AppendLine();

    public void Paragraph(string text) => _markdown.AppendLine(text).AppendLine();

    public void Raw(string text) => _markdown.AppendLine(text.TrimEnd()).AppendLine();

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        _markdown.Append("| ").AppendJoin(" | ", headers).AppendLine(" |");
        _markdown.Append('|').AppendJoin('|', headers.Select((_, i) => i == 0 ? "---" : "---:")).AppendLine("|");
        foreach (var row in rows)
        {
            _markdown.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        _markdown.AppendLine();
    }

    public string Markdown => _markdown.ToString();

    public string Json(object header) => JsonSerializer.Serialize(new { header, figures = Figures }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });

    /// <summary>A number as the tables show it: three significant figures, thousands separated.</summary>
    public static string Number(double value) => value switch
    {
        double.NaN => "–",
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    public static string Ratio(double value) => double.IsNaN(value) ? "–" : value.ToString(value >= 10 ? "0" : "0.0#", CultureInfo.InvariantCulture) + "×";
}
