using System.Globalization;
using System.Xml.Linq;
using SisomCluster.Lab.Eval;
using Xunit;

namespace SisomCluster.Lab.Tests.Eval;

public sealed class SvgLinePlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Plot_is_well_formed_svg_with_one_polyline_and_legend_entry_per_series()
    {
        var plot = new SvgLinePlot { Title = "ROC <near> & far", XLabel = "FPR", YLabel = "TPR", XRange = (0, 1), YRange = (0, 1), Diagonal = true };
        plot.Add("SISOM (0.8)", [0, 0.5, 1], [0, 0.9, 1]);
        plot.Add("A&B", [0, 1], [0, 1], [0.1, 0.1]);

        XDocument doc = XDocument.Parse(plot.Render());
        XElement[] lines = doc.Descendants(Svg + "polyline").ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal("SISOM (0.8)", lines[0].Attribute("data-name")!.Value);
        Assert.Equal("A&B", lines[1].Attribute("data-name")!.Value);
        Assert.Equal(3, lines[0].Attribute("points")!.Value.Split(' ').Length);
        string[] texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToArray();
        Assert.Contains("ROC <near> & far", texts);
        Assert.Contains("A&B", texts);
        Assert.Contains("FPR", texts);
        Assert.Contains("TPR", texts);
        Assert.Equal(2, doc.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "error"));
    }

    [Fact]
    public void Data_corners_map_to_the_corners_of_the_plot_area()
    {
        var plot = new SvgLinePlot { Title = "t", XLabel = "x", YLabel = "y", XRange = (100, 900), YRange = (0.5, 1) };
        plot.Add("s", [100, 900], [0.5, 1]);
        Assert.Equal(SvgLinePlot.Left, plot.MapX(100), 9);
        Assert.Equal(SvgLinePlot.Width - SvgLinePlot.Right, plot.MapX(900), 9);
        Assert.Equal(SvgLinePlot.Height - SvgLinePlot.Bottom, plot.MapY(0.5), 9);
        Assert.Equal(SvgLinePlot.Top, plot.MapY(1), 9);

        string points = XDocument.Parse(plot.Render()).Descendants(Svg + "polyline").Single().Attribute("points")!.Value;
        string expected = string.Create(CultureInfo.InvariantCulture, $"{SvgLinePlot.Left},{SvgLinePlot.Height - SvgLinePlot.Bottom} {SvgLinePlot.Width - SvgLinePlot.Right},{SvgLinePlot.Top}");
        Assert.Equal(expected, points);
    }

    [Fact]
    public void Mismatched_series_and_empty_ranges_are_refused()
    {
        var plot = new SvgLinePlot { Title = "t", XLabel = "x", YLabel = "y", XRange = (0, 1), YRange = (1, 1) };
        Assert.Throws<ArgumentException>(() => plot.Add("s", [0, 1], [0]));
        Assert.Throws<ArgumentException>(() => plot.Add("s", [], []));
        plot.Add("s", [0, 1], [1, 1]);
        Assert.Throws<InvalidOperationException>(plot.Render);
    }
}
