using System.Text;
using SisomCluster.Inference.Npy;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// Every user error ends the same way: exit code 2, one line on stderr that names the file or option to
/// fix, no stack trace, and no output file (nor a temporary one) left behind.
/// </summary>
public sealed class OfflineScoreErrorTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ScoreFiles _files;

    public OfflineScoreErrorTests()
    {
        _files = new ScoreFiles(_directory, GoldenCase.All[0]);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Int64_features_are_rejected_naming_the_file_and_dtype()
    {
        File.WriteAllBytes(_files.Queries, RawNpy.Build("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 8), }", new byte[16 * 8]));

        AssertUsageError(Run(), "q.npy", "'<i8'");
    }

    [Fact]
    public void Fortran_order_is_rejected()
    {
        File.WriteAllBytes(_files.Reference, RawNpy.Build("{'descr': '<f8', 'fortran_order': True, 'shape': (30, 8), }", new byte[30 * 8 * 8]));

        AssertUsageError(Run(), "ref.npy", "Fortran order");
    }

    [Fact]
    public void Big_endian_is_rejected()
    {
        File.WriteAllBytes(_files.Weights, RawNpy.Build("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 8), }", new byte[3 * 8 * 4]));

        AssertUsageError(Run(), "W.npy", "big-endian");
    }

    [Fact]
    public void A_three_dimensional_array_is_rejected()
    {
        NpyFile.Write(_files.Queries, new NpyArray(new float[2 * 2 * 8], 2, 2, 8));

        AssertUsageError(Run(), "q.npy", "2-D", "(2, 2, 8)");
    }

    [Fact]
    public void A_truncated_file_is_rejected()
    {
        byte[] whole = File.ReadAllBytes(_files.Reference);
        File.WriteAllBytes(_files.Reference, whole[..^10]);

        AssertUsageError(Run(), "ref.npy", "truncated");
    }

    [Theory]
    [InlineData("deep", "nests deeper than 16 levels")]
    [InlineData("overflow", "more bytes than any file can hold")]
    [InlineData("huge-header", "announces a 4294967295-byte header")]
    public void A_crafted_npy_header_is_a_usage_error_not_a_crash(string kind, string reason)
    {
        // Before the one checked header reader: a stack overflow (exit 134), an overflowing size check, a 4 GiB allocation.
        byte[] bytes = kind switch
        {
            "deep" => RawNpy.Build("{'descr': '<f8', 'fortran_order': False, 'shape': " + new string('(', 60_000) + "}", [], major: 2),
            "overflow" => RawNpy.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647), }", []),
            _ => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0xFF],
        };
        File.WriteAllBytes(_files.Queries, bytes);

        AssertUsageError(Run(), "q.npy", reason);
    }

    [Fact]
    public void A_file_with_bad_magic_is_rejected()
    {
        File.WriteAllText(_files.Bias, "0.1,0.2,0.3\n");

        AssertUsageError(Run(), "b.npy", "bad magic");
    }

    [Fact]
    public void A_missing_file_is_rejected()
    {
        File.Delete(_files.Queries);

        AssertUsageError(Run(), "q.npy", "not found");
    }

    [Fact]
    public void With_both_feature_files_bad_the_reference_file_is_reported()
    {
        // The two files are read side by side; the reference file's error still comes first, and only it is reported.
        File.WriteAllText(_files.Reference, "not an npy file");
        NpyFile.Write(_files.Queries, new NpyArray(new double[5 * 9], 5, 9));

        CliResult result = Run();
        AssertUsageError(result, "ref.npy", "bad magic");
        Assert.DoesNotContain("q.npy", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bias_length_must_match_the_rows_of_W()
    {
        NpyFile.Write(_files.Bias, new NpyArray(new double[4], 4));

        AssertUsageError(Run(), "b.npy", "K = 3", "(4,)");
    }

    [Fact]
    public void Reference_and_queries_must_have_the_D_of_W()
    {
        NpyFile.Write(_files.Queries, new NpyArray(new double[5 * 9], 5, 9));

        AssertUsageError(Run(), "q.npy", "D = 9", "W.npy");
    }

    [Fact]
    public void A_transposed_head_gets_a_hint()
    {
        GoldenCase g = _files.Golden;
        var transposed = new double[g.Weights.Length];
        for (int k = 0; k < g.K; k++)
        {
            for (int d = 0; d < g.D; d++)
            {
                transposed[(d * g.K) + k] = g.Weights[(k * g.D) + d];
            }
        }

        NpyFile.Write(_files.Weights, new NpyArray(transposed, g.D, g.K));
        NpyFile.Write(_files.Bias, new NpyArray(new double[g.D], g.D));

        AssertUsageError(Run(), "ref.npy", "transposed");
    }

    [Fact]
    public void Label_count_must_match_reference_rows()
    {
        File.WriteAllLines(_files.Labels, _files.Golden.ReferenceLabels.Skip(1).Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        AssertUsageError(Run(), "labels.txt", "29 labels for 30 reference rows");
    }

    [Fact]
    public void A_non_integer_label_names_its_line()
    {
        string[] lines = File.ReadAllLines(_files.Labels);
        lines[2] = "1.0e+00";
        File.WriteAllLines(_files.Labels, lines);

        AssertUsageError(Run(), "labels.txt line 3", "'1.0e+00'");
    }

    [Fact]
    public void A_label_outside_0_to_K_minus_1_names_its_line()
    {
        string[] lines = File.ReadAllLines(_files.Labels);
        lines[6] = "3";
        File.WriteAllLines(_files.Labels, lines);

        AssertUsageError(Run(), "labels.txt line 7", "outside 0..2");
    }

    [Fact]
    public void Trailing_blank_label_lines_are_tolerated_but_inner_ones_are_not()
    {
        string[] lines = File.ReadAllLines(_files.Labels);
        File.WriteAllText(_files.Labels, string.Join("\r\n", lines) + "\r\n\r\n  \n");

        CliResult ok = Run();

        Assert.True(ok.ExitCode == 0, ok.ToString());
        File.Delete(_files.Out);
        File.Delete(_files.StatsOut);
        File.WriteAllLines(_files.Labels, [.. lines[..5], string.Empty, .. lines[5..]]);

        AssertUsageError(Run(), "labels.txt line 6", "blank line");
    }

    [Fact]
    public void NaN_in_queries_names_the_file_row_and_column()
    {
        double[] queries = (double[])_files.Golden.QueryFeatures.Clone();
        queries[(4 * _files.Golden.D) + 2] = double.NaN;
        NpyFile.Write(_files.Queries, new NpyArray(queries, _files.Golden.QueryCount, _files.Golden.D));

        AssertUsageError(Run(), "q.npy", "NaN at row 4, column 2");
    }

    [Fact]
    public void An_infinity_in_a_later_batch_of_queries_names_its_row_in_the_file_and_leaves_no_output()
    {
        double[] queries = (double[])_files.Golden.QueryFeatures.Clone();
        int row = _files.Golden.QueryCount - 1;
        queries[(row * _files.Golden.D) + 1] = double.PositiveInfinity;
        NpyFile.Write(_files.Queries, new NpyArray(queries, _files.Golden.QueryCount, _files.Golden.D));

        // Batches of 2: the bad row is read after earlier batches were scored and formatted; the CSV is never committed.
        AssertUsageError(Run(["--batch-rows", "2"]), "q.npy", $"at row {row}, column 1");
    }

    [Fact]
    public void A_core_argument_error_is_a_usage_error_and_leaves_no_output()
    {
        // Every reference item alone in its class: no leave-one-out ratio exists, statistics are undefined.
        // Core throws an ArgumentException after the outputs were opened.
        NpyFile.Write(_files.Reference, new NpyArray(_files.Golden.ReferenceFeatures[..(3 * _files.Golden.D)], 3, _files.Golden.D));
        File.WriteAllLines(_files.Labels, ["0", "1", "2"]);

        CliResult result = Run(["--alpha", "1"]);

        AssertUsageError(result, "leave-one-out");
        Assert.DoesNotContain("(Parameter '", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--alpha", "0")]
    [InlineData("--alpha", "-1")]
    [InlineData("--alpha", "abc")]
    [InlineData("--alpha", "NaN")]
    [InlineData("--sisome-weight", "1.5")]
    [InlineData("--sisome-weight", "-0.1")]
    [InlineData("--quantile", "1.5")]
    [InlineData("--quantile", "0")]
    [InlineData("--neighbour-rank", "3")]
    [InlineData("--precision", "float16")]
    public void Invalid_option_values_name_the_option(string option, string value)
    {
        AssertUsageError(Run([option, value]), option, $"'{value}'");
    }

    [Theory]
    [InlineData("--reference")]
    [InlineData("--queries")]
    [InlineData("--out")]
    public void A_missing_required_option_is_named(string option)
    {
        AssertUsageError(CliResult.Run(_files.Args(omit: option)), option, "required");
    }

    [Fact]
    public void An_unwritable_output_directory_is_a_usage_error()
    {
        string outPath = Path.Combine(_directory.Path, "no-such-dir", "scores.csv");
        string[] args = _files.Args(["--alpha", "1"], "--out", "--stats-out");

        CliResult result = CliResult.Run([.. args, "--out", outPath]);

        AssertUsageError(result, "--out", "no-such-dir");
    }

    [Fact]
    public void A_failed_run_keeps_the_previous_output_intact()
    {
        File.WriteAllText(_files.Out, "previous run\n", Encoding.UTF8);
        File.Delete(_files.Queries);

        CliResult result = Run();

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("previous run\n", File.ReadAllText(_files.Out));
        File.Delete(_files.Out);
    }

    private CliResult Run(string[]? extra = null) => CliResult.Run(_files.Args(extra ?? []));

    private void AssertUsageError(CliResult result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        string line = Assert.Single(result.StderrLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, line, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(_files.Out), "a failed run left scores.csv behind");
        Assert.False(File.Exists(_files.StatsOut), "a failed run left stats.json behind");
        Assert.DoesNotContain(Directory.EnumerateFiles(_directory.Path, "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }
}
