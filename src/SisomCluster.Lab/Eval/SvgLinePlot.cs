using System.Globalization;
using System.Security;
using System.Text;

namespace SisomCluster.Lab.Eval;

/// <summary>
/// A small self-contained SVG line plot (no plotting library): axes with ticks and labels, one polyline per
/// series in a fixed colour cycle, optional error bars, an optional dashed diagonal (chance level of a ROC
/// curve) and a legend.
/// </summary>
public sealed class SvgLinePlot
{
    public const int Width = 640;
    public const int Height = 440;
    public const int Left = 64;
    public const int Right = 180;
    public const int Top = 40;
    public const int Bottom = 56;

    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    private readonly List<Series> _series = [];

    public required string Title { get; init; }

    public required string XLabel { get; init; }

    public required string YLabel { get; init; }

    public required (double Min, double Max) XRange { get; init; }

    public required (double Min, double Max) YRange { get; init; }

    public bool Diagonal { get; init; }

    public int Count => _series.Count;

    public void Add(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double>? error = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count == 0 || (error is not null && error.Count != x.Count))
        {
            throw new ArgumentException($"series '{name}': {x.Count} x values, {y.Count} y values{(error is null ? string.Empty : $", {error.Count} errors")}; they must match and not be empty.", nameof(y));
        }

        _series.Add(new Series(name, x, y, error));
    }

    /// <summary>Pixel x of a data value.</summary>
    public double MapX(double x) => Left + ((x - XRange.Min) / (XRange.Max - XRange.Min) * (Width - Left - Right));

    /// <summary>Pixel y of a data value (SVG's y grows downwards).</summary>
    public double MapY(double y) => Height - Bottom - ((y - YRange.Min) / (YRange.Max - YRange.Min) * (Height - Top - Bottom));

    public string Render()
    {
        if (!(XRange.Max > XRange.Min) || !(YRange.Max > YRange.Min))
        {
            throw new InvalidOperationException($"plot '{Title}': empty axis range.");
        }

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{(Left + Width - Right) / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{Escape(Title)}</text>\n"));
        double x0 = MapX(XRange.Min);
        double x1 = MapX(XRange.Max);
        double y0 = MapY(YRange.Min);
        double y1 = MapY(YRange.Max);
        for (int i = 0; i <= 5; i++)
        {
            double xv = XRange.Min + ((XRange.Max - XRange.Min) * i / 5);
            double yv = YRange.Min + ((YRange.Max - YRange.Min) * i / 5);
            svg.Append(Invariant($"<line x1=\"{F(MapX(xv))}\" y1=\"{F(y0)}\" x2=\"{F(MapX(xv))}\" y2=\"{F(y1)}\" stroke=\"#e5e5e5\"/>\n"));
            svg.Append(Invariant($"<line x1=\"{F(x0)}\" y1=\"{F(MapY(yv))}\" x2=\"{F(x1)}\" y2=\"{F(MapY(yv))}\" stroke=\"#e5e5e5\"/>\n"));
            svg.Append(Invariant($"<text x=\"{F(MapX(xv))}\" y=\"{F(y0 + 18)}\" text-anchor=\"middle\">{Tick(xv)}</text>\n"));
            svg.Append(Invariant($"<text x=\"{F(x0 - 6)}\" y=\"{F(MapY(yv) + 4)}\" text-anchor=\"end\">{Tick(yv)}</text>\n"));
        }

        svg.Append(Invariant($"<rect x=\"{F(x0)}\" y=\"{F(y1)}\" width=\"{F(x1 - x0)}\" height=\"{F(y0 - y1)}\" fill=\"none\" stroke=\"black\"/>\n"));
        svg.Append(Invariant($"<text x=\"{F((x0 + x1) / 2)}\" y=\"{Height - 14}\" text-anchor=\"middle\">{Escape(XLabel)}</text>\n"));
        svg.Append(Invariant($"<text x=\"16\" y=\"{F((y0 + y1) / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {F((y0 + y1) / 2)})\">{Escape(YLabel)}</text>\n"));
        if (Diagonal)
        {
            svg.Append(Invariant($"<line x1=\"{F(x0)}\" y1=\"{F(y0)}\" x2=\"{F(x1)}\" y2=\"{F(y1)}\" stroke=\"#999999\" stroke-dasharray=\"4 4\"/>\n"));
        }

        for (int s = 0; s < _series.Count; s++)
        {
            Series series = _series[s];
            string colour = Colours[s % Colours.Length];
            string dash = s >= Colours.Length ? " stroke-dasharray=\"6 3\"" : string.Empty;
            string points = string.Join(' ', series.X.Select((x, i) => $"{F(MapX(x))},{F(MapY(series.Y[i]))}"));
            svg.Append(Invariant($"<polyline class=\"series\" data-name=\"{Escape(series.Name)}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\"{dash} points=\"{points}\"/>\n"));
            if (series.Error is { } error)
            {
                for (int i = 0; i < series.X.Count; i++)
                {
                    svg.Append(Invariant($"<line class=\"error\" x1=\"{F(MapX(series.X[i]))}\" y1=\"{F(MapY(series.Y[i] - error[i]))}\" x2=\"{F(MapX(series.X[i]))}\" y2=\"{F(MapY(series.Y[i] + error[i]))}\" stroke=\"{colour}\"/>\n"));
                }
            }

            double ly = Top + 10 + (s * 20);
            svg.Append(Invariant($"<line x1=\"{Width - Right + 12}\" y1=\"{F(ly)}\" x2=\"{Width - Right + 36}\" y2=\"{F(ly)}\" stroke=\"{colour}\" stroke-width=\"2.5\"{dash}/>\n"));
            svg.Append(Invariant($"<text x=\"{Width - Right + 42}\" y=\"{F(ly + 4)}\">{Escape(series.Name)}</text>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Tick(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Error);
}
