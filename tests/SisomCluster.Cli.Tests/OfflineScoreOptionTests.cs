using System.Text.Json;
using SisomCluster.Inference.Npy;
using Xunit;

namespace SisomCluster.Cli.Tests;

public sealed class OfflineScoreOptionTests
{
    private static readonly double[] DefaultGrid = [1, 10, 100, 1_000, 10_000, 100_000];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Alpha_auto_tries_the_default_grid_and_keeps_the_minimal_r_avg(int index)
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[index]);

        CliResult result = CliResult.Run(files.Args(["--precision", "float64"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument stats = JsonDocument.Parse(File.ReadAllBytes(files.StatsOut));
        JsonElement root = stats.RootElement;
        JsonElement[] grid = root.GetProperty("alpha_grid").EnumerateArray().ToArray();
        Assert.Equal(DefaultGrid, grid.Select(p => p.GetProperty("alpha").GetDouble()));
        (double alpha, double rAvg)[] eligible = grid
            .Where(p => p.GetProperty("r_avg").ValueKind == JsonValueKind.Number)
            .Select(p => (p.GetProperty("alpha").GetDouble(), p.GetProperty("r_avg").GetDouble()))
            .ToArray();
        Assert.NotEmpty(eligible);
        double minimal = eligible.Min(p => p.rAvg);
        Assert.Equal(eligible.First(p => p.rAvg == minimal).alpha, root.GetProperty("alpha").GetDouble());
        Assert.Equal(minimal, root.GetProperty("r_avg").GetDouble());
        Assert.Contains("(auto)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_given_explicitly_is_the_default()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[1]);
        CliResult implicitAuto = CliResult.Run(files.Args(["--precision", "float64"]));
        Assert.True(implicitAuto.ExitCode == 0, implicitAuto.ToString());
        string expected = File.ReadAllText(files.Out);

        CliResult explicitAuto = CliResult.Run(files.Args(["--precision", "float64", "--alpha", "auto", "--sisome-weight", "AUTO"]));

        Assert.True(explicitAuto.ExitCode == 0, explicitAuto.ToString());
        Assert.Equal(expected, File.ReadAllText(files.Out));
        Assert.Contains("(auto)", explicitAuto.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Fixed_sisome_weight_quantile_and_neighbour_rank_reach_the_context()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[1]);

        CliResult result = CliResult.Run(files.Args(["--alpha", "10", "--sisome-weight", "0.2", "--quantile", "0.9", "--neighbour-rank", "2", "--precision", "FLOAT64"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        using JsonDocument stats = JsonDocument.Parse(File.ReadAllBytes(files.StatsOut));
        JsonElement root = stats.RootElement;
        Assert.Equal(0.2, root.GetProperty("sisome_weight").GetDouble());
        Assert.Equal(0.9, root.GetProperty("quantile").GetDouble());
        Assert.Equal(2, root.GetProperty("neighbour_rank").GetInt32());
        Assert.Equal("float64", root.GetProperty("precision").GetString());

        // Rank 2 takes the second-nearest same-class reference: d_in can only grow against rank 1.
        var rank2 = ScoreCsvFile.Read(files.Out);
        double[] dInRank1 = files.Golden.ExpectedDoubles("d_in");
        Assert.Contains(Enumerable.Range(0, rank2.Rows.Count), i => rank2.Double(i, "d_in") > dInRank1[i] * (1 + 1e-6));
        Assert.All(Enumerable.Range(0, rank2.Rows.Count), i => Assert.True(rank2.Double(i, "d_in") >= dInRank1[i] * (1 - 1e-6)));
    }

    [Fact]
    public void No_knn_skips_the_knn_columns_and_leaves_every_other_column_as_it_was()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[1]);
        CliResult full = CliResult.Run(files.Args(["--alpha", "10"]));
        Assert.True(full.ExitCode == 0, full.ToString());
        var expected = ScoreCsvFile.Read(files.Out);

        CliResult result = CliResult.Run(files.Args(["--alpha", "10", "--no-knn"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        var csv = ScoreCsvFile.Read(files.Out);
        Assert.Equal(expected.Rows.Count, csv.Rows.Count);
        Assert.Contains(Enumerable.Range(0, expected.Rows.Count), i => double.IsFinite(expected.Double(i, "knn")));
        for (int i = 0; i < csv.Rows.Count; i++)
        {
            Assert.True(double.IsNaN(csv.Double(i, "knn")), $"row {i}: knn {csv.Double(i, "knn")}");
            Assert.Equal("false", csv.Field(i, "ood_knn"));
            foreach (string column in new[] { "predicted", "nearest_reference", "d_in", "d_out", "ratio", "sisom", "sisome", "ood_sisom", "ood_sisome", "energy", "ood_energy", "msp" })
            {
                Assert.Equal(expected.Field(i, column), csv.Field(i, column));
            }
        }

        using JsonDocument stats = JsonDocument.Parse(File.ReadAllBytes(files.StatsOut));
        Assert.Equal(0, stats.RootElement.GetProperty("knn_k").GetInt32());
        Assert.Contains("knn 0/", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Queries_scored_in_batches_give_the_same_csv_and_counts_as_one_batch()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[1]);
        int n = files.Golden.QueryCount;
        CliResult whole = CliResult.Run(files.Args(["--alpha", "10", "--quantile", "0.5"]));
        Assert.True(whole.ExitCode == 0, whole.ToString());
        byte[] expected = File.ReadAllBytes(files.Out);
        var csv = ScoreCsvFile.Read(files.Out);
        Assert.Contains(Enumerable.Range(0, csv.Rows.Count), i => csv.Field(i, "ood_sisom") == "true");

        // One row a batch; batches of 3 (a short last one unless n is a multiple); all but the last row, then it alone; the
        // largest value (all at once: never more rows than the file has or one array holds).
        foreach (int batchRows in new[] { 1, 3, n - 1, int.MaxValue })
        {
            CliResult batched = CliResult.Run(files.Args(["--alpha", "10", "--quantile", "0.5", "--batch-rows", batchRows.ToString(System.Globalization.CultureInfo.InvariantCulture)]));

            Assert.True(batched.ExitCode == 0, batched.ToString());
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(files.Out)), $"--batch-rows {batchRows} changed the CSV");

            // The flagged counts are summed over the batches.
            Assert.Equal(Flagged(whole), Flagged(batched));
        }

        static string Flagged(CliResult r) => r.Stdout.Split('\n').Single(l => l.StartsWith("flagged OOD", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("many")]
    public void Batch_rows_must_be_a_positive_integer(string value)
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[0]);

        CliResult result = CliResult.Run(files.Args(["--batch-rows", value]));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--batch-rows", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(files.Out));
    }

    [Fact]
    public void Stats_out_is_optional()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[0]);

        CliResult result = CliResult.Run(files.Args(["--alpha", "1"], "--stats-out"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(files.Out));
        Assert.False(File.Exists(files.StatsOut));
        Assert.DoesNotContain(directory.FileNames(), n => n.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Zero_queries_write_a_header_only_csv()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[0]);
        NpyFile.Write(files.Queries, new NpyArray(Array.Empty<float>(), 0, files.Golden.D));

        CliResult result = CliResult.Run(files.Args(["--alpha", "1"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        var csv = ScoreCsvFile.Read(files.Out);
        Assert.Empty(csv.Rows);
    }

    [Fact]
    public void Float32_npy_inputs_are_accepted()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[1]);
        GoldenCase g = files.Golden;
        NpyFile.Write(files.Reference, new NpyArray(Array.ConvertAll(g.ReferenceFeatures, v => (float)v), g.ReferenceCount, g.D));
        NpyFile.Write(files.Queries, new NpyArray(Array.ConvertAll(g.QueryFeatures, v => (float)v), g.QueryCount, g.D));
        NpyFile.Write(files.Weights, new NpyArray(Array.ConvertAll(g.Weights, v => (float)v), g.K, g.D));
        NpyFile.Write(files.Bias, new NpyArray(Array.ConvertAll(g.Bias, v => (float)v), g.K));

        CliResult result = CliResult.Run(files.Args(["--alpha", "10"]));

        Assert.True(result.ExitCode == 0, result.ToString());
        var csv = ScoreCsvFile.Read(files.Out);
        int[] predicted = g.Expected.GetProperty("predicted").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(predicted, Enumerable.Range(0, csv.Rows.Count).Select(i => csv.Int(i, "predicted")));
    }

    [Theory]
    [InlineData]
    [InlineData("offline")]
    [InlineData("offline", "score")]
    public void Help_works_on_every_command_and_shows_an_example(params string[] command)
    {
        CliResult result = CliResult.Run([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Stderr);
        Assert.Contains("Example:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("sisom ", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_help_lists_every_option()
    {
        CliResult result = CliResult.Run("offline", "score", "--help");

        foreach (string option in new[] { "--reference", "--reference-labels", "--head-weights", "--head-bias", "--queries", "--alpha", "--sisome-weight", "--quantile", "--neighbour-rank", "--knn-k", "--precision", "--out", "--stats-out" })
        {
            Assert.Contains(option + " <", result.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("--no-knn", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unexpected_failure_exits_1_with_its_stack_trace()
    {
        using var directory = new TempDirectory();
        var files = new ScoreFiles(directory, GoldenCase.All[0]);
        using var stderr = new StringWriter();

        int exitCode = CliApplication.Run(files.Args(["--alpha", "1"]), new FailingWriter(), stderr);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: unexpected failure: ", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("   at ", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_command_group_without_a_subcommand_is_a_usage_error()
    {
        CliResult result = CliResult.Run("offline");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(result.StderrLines), StringComparison.Ordinal);
    }

    /// <summary>Stands in for a bug: fails in a way that is no user error.</summary>
    private sealed class FailingWriter : StringWriter
    {
        public override void WriteLine(string? value) => throw new InvalidOperationException("simulated bug");
    }
}
