using System.Text.Json;
using SisomCluster.Cli.Tests;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Lab.Tests.Bench;

/// <summary>
/// <c>sisom bench scale</c> at a tiny size, against the real PostgreSQL and RabbitMQ and real server processes: the run
/// completes through the API, every item has a row, and the figures of docs/SCALING.md are there and plausible.
/// </summary>
public sealed class BenchScaleTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Bench_scale_measures_time_finalisation_bytes_per_item_and_api_latencies()
    {
        string json = _directory.File("scale.json");
        LabResult scale = LabResult.Run(
            "bench", "scale", "--sizes", "3000", "--references", "200", "--dimension", "16", "--shard-size", "1000", "--embeddings-run", "--calls-after", "2",
            "--connection", database.ConnectionString, "--work-dir", _directory.File("work"), "--json", json);
        output.WriteLine(scale.ToString());

        Assert.True(scale.ExitCode == 0, scale.ToString());
        using JsonDocument document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        JsonElement run = Assert.Single(document.RootElement.GetProperty("runs").EnumerateArray());
        Assert.Equal("scale.n3000.t200", run.GetProperty("id").GetString());
        Assert.Equal(3000, run.GetProperty("items").GetInt64());
        Assert.Equal(3, run.GetProperty("shards").GetInt64());
        Assert.InRange(run.GetProperty("finalize_seconds").GetDouble(), 0, run.GetProperty("seconds").GetDouble());
        Assert.True(run.GetProperty("score_bytes_per_item").GetDouble() > 50, run.ToString());

        // Every call a user and the dashboard make, timed twice after the run and without failures then.
        JsonElement[] after = [.. run.GetProperty("after").EnumerateArray()];
        Assert.Equal(["drift (hour + source)", "histograms", "run list", "run status", "selection", "thresholds"], after.Select(a => a.GetProperty("call").GetString()));
        Assert.All(after, a => Assert.Equal((2, 0), (a.GetProperty("calls").GetInt32(), a.GetProperty("failures").GetInt32())));

        // Stored 16-d embeddings take more room as vector than as halfvec (4 vs 2 bytes a value, plus headers).
        JsonElement storage = document.RootElement.GetProperty("storage");
        Assert.Equal(3000, storage.GetProperty("embeddings").GetInt64());
        Assert.True(storage.GetProperty("vector_value_bytes").GetDouble() > storage.GetProperty("halfvec_value_bytes").GetDouble() + 16, storage.ToString());
    }
}
