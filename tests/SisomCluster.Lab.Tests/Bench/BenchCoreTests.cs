using System.Text.Json;
using SisomCluster.Cli.Tests;
using Xunit;

namespace SisomCluster.Lab.Tests.Bench;

public sealed class BenchCoreTests
{
    [Fact]
    public void Bench_core_reports_kernel_and_naive_figures_with_stable_ids()
    {
        using var dir = new TempDirectory();
        string json = dir.File("core.json");
        LabResult result = LabResult.Run("bench", "core", "--reference-sizes", "300", "--dimensions", "16,33", "--classes", "3", "--seconds", "0.02", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("nominal FP32 peak = 2 x", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"kernel: {Core.Neighbours.KernelSelection.Describe(Core.Neighbours.KernelSelection.Current)}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("% SGEMM", result.Stdout, StringComparison.Ordinal);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement[] figures = doc.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["core.score.T300.D16.K3", "core.score.T300.D33.K3"], figures.Select(f => f.GetProperty("id").GetString()));
        Assert.All(figures, f =>
        {
            Assert.True(f.GetProperty("items_per_second").GetDouble() > 0);
            Assert.True(f.GetProperty("naive_items_per_second").GetDouble() > 0);
            Assert.True(f.GetProperty("search_gflops").GetDouble() > 0);
            JsonElement sgemm = f.GetProperty("sgemm");
            Assert.Equal(4096, sgemm.GetProperty("m").GetInt32());
            Assert.Equal(100, sgemm.GetProperty("n").GetInt32());
            Assert.True(sgemm.GetProperty("gflops").GetDouble() > 0);
            Assert.Equal(f.GetProperty("search_gflops").GetDouble() / sgemm.GetProperty("gflops").GetDouble(), f.GetProperty("fraction_of_sgemm").GetDouble(), 1e-12);
        });
        Assert.True(doc.RootElement.GetProperty("nominal_peak_gflops_fp32").GetDouble() > 0);
        Assert.Equal(Core.Neighbours.KernelSelection.Current.ToString(), doc.RootElement.GetProperty("kernel").GetString());
    }

    [Fact]
    public void Bench_core_runs_the_kernel_it_is_told_and_refuses_unknown_ones()
    {
        LabResult difference = LabResult.Run("bench", "core", "--reference-sizes", "120", "--dimensions", "8", "--classes", "2", "--seconds", "0.01", "--kernel", "difference");
        Assert.True(difference.ExitCode == 0, difference.ToString());
        Assert.Contains("kernel: difference form only", difference.Stdout, StringComparison.Ordinal);

        LabResult unknown = LabResult.Run("bench", "core", "--reference-sizes", "120", "--dimensions", "8", "--kernel", "avx9000");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--kernel", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_core_rejects_bad_lists()
    {
        LabResult result = LabResult.Run("bench", "core", "--reference-sizes", "10,x");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--reference-sizes", result.Stderr, StringComparison.Ordinal);
    }
}
