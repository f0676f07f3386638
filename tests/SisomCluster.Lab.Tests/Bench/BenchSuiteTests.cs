using System.Text.Json;
using SisomCluster.Cli.Tests;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Lab.Tests.Bench;

/// <summary><c>bench copy</c> against the real PostgreSQL, and <c>bench suite</c>'s figures without services.</summary>
public sealed class BenchSuiteTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Bench_copy_measures_copy_and_its_ef_core_baseline()
    {
        LabResult copy = LabResult.Run(
            "bench", "copy", "--rows", "2000", "--dimensions", "0,8", "--rescore-rows", "5000", "--shard-size", "1024", "--writers", "1,2",
            "--aggregates", "--budget", "10", "--connection", database.ConnectionString, "--json", _directory.File("copy.json"));

        Assert.True(copy.ExitCode == 0, copy.ToString());
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_directory.File("copy.json")));
        JsonElement[] results = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["copy.item_scores.n2000.d0", "copy.item_scores.n2000.d8"], results.Select(r => r.GetProperty("id").GetString()));
        Assert.All(results, r => Assert.True(r.GetProperty("copy_rows_per_second").GetDouble() > 0 && r.GetProperty("ef_rows_per_second").GetDouble() > 0));

        // Re-scoring shaped: 5 shards (the last one short), 1 and 2 writers, each against the previous commit path; the
        // benchmark fails unless both paths wrote every row.
        JsonElement[] rescore = json.RootElement.GetProperty("rescore").EnumerateArray().ToArray();
        Assert.Equal(["copy.rescore.n5000.s1024.w1", "copy.rescore.n5000.s1024.w2"], rescore.Select(r => r.GetProperty("id").GetString()));
        Assert.All(rescore, r => Assert.True(r.GetProperty("rows_per_second").GetDouble() > 0 && r.GetProperty("legacy_rows_per_second").GetDouble() > 0));

        // --aggregates: the same commit writing the shard's aggregates, once per drift lookup (it fails unless every row was written).
        Assert.All(rescore, r => Assert.Equal(
            ["Registry", "Rows"],
            r.GetProperty("with_aggregates_rows_per_second").EnumerateObject().Where(p => p.Value.GetDouble() > 0).Select(p => p.Name).Order(StringComparer.Ordinal)));

        // The benchmark's schema is dropped afterwards: nothing is left in the test schema either.
        Assert.Equal(0L, await database.CountAsync("SELECT count(*) FROM item_scores"));
    }

    [Fact]
    public void Bench_suite_without_services_reports_kernel_decode_inference_and_pipeline_against_baselines()
    {
        LabResult suite = LabResult.Run("bench", "suite", "--no-services", "--json", _directory.File("suite.json"));

        Assert.True(suite.ExitCode == 0, suite.ToString());
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(_directory.File("suite.json")));
        Dictionary<string, JsonElement> figures = json.RootElement.GetProperty("figures").EnumerateArray().ToDictionary(f => f.GetProperty("id").GetString()!);
        Assert.Contains("core.score.T10000.D512.K10.items_per_s", figures.Keys);
        Assert.Contains("core.score.T10000.D512.K10.gflops", figures.Keys);
        Assert.Contains("decode.jpeg224.images_per_s", figures.Keys);
        Assert.Contains("inference.resnet18.b32.images_per_s", figures.Keys);
        Assert.Contains("pipeline.resnet18.b32.images_per_s", figures.Keys);
        Assert.True(figures["core.score.T10000.D512.K10.items_per_s"].GetProperty("ratio").GetDouble() > 1, "the kernel beats the naive loop");
        JsonElement gflops = figures["core.score.T10000.D512.K10.gflops"];
        Assert.StartsWith("measured SGEMM ", gflops.GetProperty("baseline").GetString(), StringComparison.Ordinal);
        Assert.True(gflops.GetProperty("baseline_value").GetDouble() > 0 && gflops.GetProperty("ratio").GetDouble() > 0, gflops.ToString());
        Assert.DoesNotContain(figures.Keys, k => k.StartsWith("copy.", StringComparison.Ordinal) || k.StartsWith("cluster.", StringComparison.Ordinal));
        Assert.Contains("no database", suite.Stdout, StringComparison.Ordinal);
    }
}
