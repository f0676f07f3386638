using System.Globalization;
using System.Text.Json;
using SisomCluster.Core.Tests;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// The golden vectors through the whole tool: float64 .npy files in, CSV and stats JSON out, compared with
/// sisom-golden.json at SISOM.md's tolerance. Float64 precision, as in Core's golden tests: at α = 3000
/// some states saturate and SISOM near zero cancels r − r_avg.
/// </summary>
public sealed class OfflineScoreGoldenTests
{
    public static TheoryData<int> Cases => GoldenCase.Indices;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_csv_matches_golden_queries(int index)
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[index]);
        GoldenCase g = files.Golden;

        JsonElement knn = g.Expected.GetProperty("knn");
        CliResult result = CliResult.Run(files.Args(["--alpha", g.Alpha.ToString("R", CultureInfo.InvariantCulture), "--precision", "float64", "--knn-k", knn.GetProperty("k").GetInt32().ToString(CultureInfo.InvariantCulture)]));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Stderr);
        var csv = ScoreCsvFile.Read(files.Out);
        Assert.Equal("index,predicted,nearest_reference,d_in,d_out,ratio,energy,sisom,sisome,knn,ood_sisom,ood_sisome,ood_knn,ood_energy,no_reference,msp,max_logit,entropy,margin", csv.Header);
        double[] kth = [.. knn.GetProperty("kth_distance").EnumerateArray().Select(e => e.GetDouble())];
        Assert.Equal(g.QueryCount, csv.Rows.Count);
        int[] predicted = g.Expected.GetProperty("predicted").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] nearest = g.Expected.GetProperty("nearest_reference").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        bool[] oodSisom = g.Expected.GetProperty("flagged_ood_sisom").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        bool[] oodSisome = g.Expected.GetProperty("flagged_ood_sisome").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
        double[] dIn = g.ExpectedDoubles("d_in");
        double[] dOut = g.ExpectedDoubles("d_out", double.NaN);
        double[] ratio = g.ExpectedDoubles("ratio");
        double[] energy = g.ExpectedDoubles("energy");
        double[] sisom = g.ExpectedDoubles("sisom");
        double[] sisome = g.ExpectedDoubles("sisome");
        double[][] logits = [.. g.Expected.GetProperty("query_logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray())];
        for (int i = 0; i < g.QueryCount; i++)
        {
            Assert.Equal(i, csv.Int(i, "index"));
            Assert.Equal(predicted[i], csv.Int(i, "predicted"));
            Assert.Equal(nearest[i], csv.Int(i, "nearest_reference"));
            Tolerance.Close(dIn[i], csv.Double(i, "d_in"), $"d_in[{i}]");
            Tolerance.Close(dOut[i], csv.Double(i, "d_out"), $"d_out[{i}]");
            Tolerance.Close(ratio[i], csv.Double(i, "ratio"), $"ratio[{i}]");
            Tolerance.Close(energy[i], csv.Double(i, "energy"), $"energy[{i}]");
            Tolerance.Close(sisom[i], csv.Double(i, "sisom"), $"sisom[{i}]");
            Tolerance.Close(sisome[i], csv.Double(i, "sisome"), $"sisome[{i}]");
            Assert.Equal(oodSisom[i], csv.Bool(i, "ood_sisom"));
            Assert.Equal(oodSisome[i], csv.Bool(i, "ood_sisome"));
            Tolerance.Close(kth[i], csv.Double(i, "knn"), $"knn[{i}]");
            Assert.Equal(nearest[i] < 0, csv.Bool(i, "no_reference"));

            // SISOM.md §7's baselines, computed here from the golden logits.
            double max = logits[i].Max();
            double[] e = logits[i].Select(l => Math.Exp(l - max)).ToArray();
            double[] p = e.Select(v => v / e.Sum()).OrderDescending().ToArray();
            Tolerance.Close(1 - p[0], csv.Double(i, "msp"), $"msp[{i}]");
            Tolerance.Close(-max, csv.Double(i, "max_logit"), $"max_logit[{i}]");
            Tolerance.Close(-p.Where(v => v > 0).Sum(v => v * Math.Log(v)), csv.Double(i, "entropy"), $"entropy[{i}]");
            Tolerance.Close(-(p[0] - p[1]), csv.Double(i, "margin"), $"margin[{i}]");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stats_json_matches_golden_statistics_and_thresholds(int index)
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[index]);
        GoldenCase g = files.Golden;

        CliResult result = CliResult.Run(files.Args(["--alpha", g.Alpha.ToString("R", CultureInfo.InvariantCulture), "--precision", "float64"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument stats = JsonDocument.Parse(File.ReadAllBytes(files.StatsOut));
        JsonElement root = stats.RootElement;
        JsonElement expected = g.Expected.GetProperty("stats");
        Assert.Equal(g.Alpha, root.GetProperty("alpha").GetDouble());
        foreach (string name in new[] { "r_avg", "sd_r", "mu_E", "sd_E", "sisome_weight" })
        {
            Tolerance.Close(expected.GetProperty(name).GetDouble(), root.GetProperty(name).GetDouble(), name);
        }

        JsonElement thresholds = g.Expected.GetProperty("threshold_q95");
        Tolerance.Close(thresholds.GetProperty("sisom").GetDouble(), root.GetProperty("threshold_sisom").GetDouble(), "threshold_sisom");
        Tolerance.Close(thresholds.GetProperty("sisome").GetDouble(), root.GetProperty("threshold_sisome").GetDouble(), "threshold_sisome");
        Assert.Equal(g.ReferenceCount, root.GetProperty("n_reference").GetInt32());
        Assert.Equal(0.95, root.GetProperty("quantile").GetDouble());
        Assert.Equal(1, root.GetProperty("neighbour_rank").GetInt32());
        Assert.Equal("float64", root.GetProperty("precision").GetString());
        Assert.Equal(50, root.GetProperty("knn_k").GetInt32());
        Assert.True(root.GetProperty("threshold_knn").GetDouble() > 0);
        Assert.True(double.IsFinite(root.GetProperty("threshold_energy").GetDouble()));

        // A fixed α is a grid of one point.
        JsonElement grid = Assert.Single(root.GetProperty("alpha_grid").EnumerateArray());
        Assert.Equal(g.Alpha, grid.GetProperty("alpha").GetDouble());
        Tolerance.Close(expected.GetProperty("r_avg").GetDouble(), grid.GetProperty("r_avg").GetDouble(), "alpha_grid[0].r_avg");
    }

    [Fact]
    public void Queries_without_a_reference_of_their_class_get_inf_and_empty_d_out()
    {
        // Case 2 has a predicted class with no reference items (r = +∞, flag no_reference).
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[2]);

        CliResult result = CliResult.Run(files.Args(["--alpha", "100"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        var csv = ScoreCsvFile.Read(files.Out);
        int[] rows = Enumerable.Range(0, csv.Rows.Count).Where(i => csv.Field(i, "nearest_reference") == "-1").ToArray();
        Assert.NotEmpty(rows);
        foreach (int i in rows)
        {
            Assert.Equal("inf", csv.Field(i, "d_in"));
            Assert.Equal(string.Empty, csv.Field(i, "d_out"));
            Assert.Equal("inf", csv.Field(i, "ratio"));
            Assert.Equal("inf", csv.Field(i, "sisom"));
            Assert.Equal("true", csv.Field(i, "ood_sisom"));
            Assert.Equal("true", csv.Field(i, "ood_sisome"));
            Assert.Equal("true", csv.Field(i, "no_reference"));
        }
    }

    [Fact]
    public void Float32_precision_agrees_with_golden_ratios_at_moderate_alpha()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[0]);
        GoldenCase g = files.Golden;

        CliResult result = CliResult.Run(files.Args(["--alpha", "1"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        var csv = ScoreCsvFile.Read(files.Out);
        double[] ratio = g.ExpectedDoubles("ratio");
        for (int i = 0; i < g.QueryCount; i++)
        {
            double actual = csv.Double(i, "ratio");
            Assert.True(Math.Abs(actual - ratio[i]) <= 1e-3 * Math.Max(1, Math.Abs(ratio[i])), $"ratio[{i}]: expected {ratio[i]}, got {actual}");
        }

        using JsonDocument stats = JsonDocument.Parse(File.ReadAllBytes(files.StatsOut));
        Assert.Equal("float32", stats.RootElement.GetProperty("precision").GetString());
    }
}
