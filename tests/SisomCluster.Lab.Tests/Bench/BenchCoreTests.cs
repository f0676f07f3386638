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
        Assert.Contains("FP32 peak = 2 x", result.Stdout, StringComparison.Ordinal);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement[] figures = doc.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["core.score.T300.D16.K3", "core.score.T300.D33.K3"], figures.Select(f => f.GetProperty("id").GetString()));
        Assert.All(figures, f =>
        {
            Assert.True(f.GetProperty("items_per_second").GetDouble() > 0);
            Assert.True(f.GetProperty("naive_items_per_second").GetDouble() > 0);
            Assert.True(f.GetProperty("search_gflops").GetDouble() > 0);
        });
        Assert.True(doc.RootElement.GetProperty("peak_gflops_fp32").GetDouble() > 0);
    }

    [Fact]
    public void Bench_core_rejects_bad_lists()
    {
        LabResult result = LabResult.Run("bench", "core", "--reference-sizes", "10,x");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--reference-sizes", result.Stderr, StringComparison.Ordinal);
    }
}
