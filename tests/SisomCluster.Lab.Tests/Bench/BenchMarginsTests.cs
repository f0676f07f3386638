using System.Text.Json;
using SisomCluster.Cli.Tests;
using Xunit;

namespace SisomCluster.Lab.Tests.Bench;

public sealed class BenchMarginsTests
{
    [Fact]
    public void Bench_margins_reports_update_and_scratch_with_the_same_answer()
    {
        using var dir = new TempDirectory();
        string json = dir.File("margins.json");
        LabResult result = LabResult.Run("bench", "margins", "--references", "400", "--dimension", "24", "--classes", "4", "--change", "30", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement[] figures = doc.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["margins.add30.t400.d24", "margins.remove30.t430.d24"], figures.Select(f => f.GetProperty("id").GetString()));
        Assert.Equal([30, 0], figures.Select(f => f.GetProperty("added").GetInt32()));
        Assert.Equal([0, 30], figures.Select(f => f.GetProperty("removed").GetInt32()));
        Assert.All(figures, f =>
        {
            Assert.True(f.GetProperty("bit_identical").GetBoolean(), f.ToString());
            Assert.Equal(0, f.GetProperty("max_margin_difference").GetDouble());
            Assert.True(f.GetProperty("update_seconds").GetDouble() > 0);
            Assert.True(f.GetProperty("scratch_seconds").GetDouble() > 0);
        });

        // Adding searches only the added items in full; removing, only the items whose neighbour left.
        Assert.Equal(30, figures[0].GetProperty("full_searches").GetInt32());
        Assert.InRange(figures[1].GetProperty("full_searches").GetInt32(), 1, 429);
    }

    [Fact]
    public void Bench_margins_rejects_a_change_as_large_as_the_set()
    {
        LabResult result = LabResult.Run("bench", "margins", "--references", "10", "--change", "10");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--change", result.Stderr, StringComparison.Ordinal);
    }
}
