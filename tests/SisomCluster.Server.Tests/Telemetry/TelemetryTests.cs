using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Telemetry;
using Xunit;

namespace SisomCluster.Server.Tests.Telemetry;

/// <summary>A real run, then what Prometheus would scrape at <c>/metrics</c> and what a tracer would record, against the database.</summary>
public sealed class TelemetryTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Metrics_endpoint_counts_the_runs_scored_items_stage_durations_and_its_ood_rate()
    {
        await using EmbeddingsRun run = await EmbeddingsRun.StartAsync(database, "metrics", items: 600, shardSize: 200);
        using var http = new HttpClient { BaseAddress = run.Address };
        string text = await http.GetStringAsync(new Uri(TelemetryExtensions.MetricsPath, UriKind.Relative));
        IReadOnlyList<PrometheusSample> samples = PrometheusSample.Parse(text);
        string runLabel = run.RunId.ToString();

        long scored = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", run.RunId);
        long flagged = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_knn", run.RunId);
        Assert.Equal(600, scored);
        Assert.True(flagged > 0, "the unlabeled cluster is flagged");

        PrometheusSample items = Assert.Single(samples, s => s.Name == "sisom_worker_items_scored_total" && s.Label("run") == runLabel && s.Label("outcome") == "scored");
        Assert.Equal(scored, items.Value);
        Assert.DoesNotContain(samples, s => s.Name == "sisom_worker_items_scored_total" && s.Label("run") == runLabel && s.Label("outcome") == "failed");

        // Every shard of an embeddings pool is read, scored and committed: one sample per stage and shard, at least.
        long shards = await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1", run.RunId);
        foreach (string stage in new[] { "read", "score", "commit" })
        {
            PrometheusSample count = Assert.Single(samples, s => s.Name == "sisom_worker_stage_duration_seconds_count" && s.Label("stage") == stage);
            Assert.True(count.Value >= shards, $"{stage}: {count.Value} samples for {shards} shards");
            Assert.Contains(samples, s => s.Name == "sisom_worker_stage_duration_seconds_sum" && s.Label("stage") == stage && s.Value > 0);
        }

        // The OOD rate is that of the pool: labeled items scored as pool items (is_reference) are left out (SISOM.md §8.2).
        long poolScored = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND NOT is_reference", run.RunId);
        long poolFlagged = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_knn AND NOT is_reference", run.RunId);
        Assert.True(poolScored < scored, "the labeled items are pool items here");
        PrometheusSample rate = Assert.Single(samples, s => s.Name == "sisom_run_ood_rate" && s.Label("run") == runLabel);
        Assert.Equal((double)poolFlagged / poolScored, rate.Value, 1e-9);
        Assert.Contains(samples, s => s.Name == "sisom_queue_lag_seconds_count" && s.Value >= shards);

        // The live counts behind the OOD-rate alert: the same pool items and flags, and (1 - q) of them expected flagged.
        PrometheusSample oodFlagged = Assert.Single(samples, s => s.Name == "sisom_worker_ood_items_total" && s.Label("run") == runLabel && s.Label("flagged") == "true");
        PrometheusSample oodClear = Assert.Single(samples, s => s.Name == "sisom_worker_ood_items_total" && s.Label("run") == runLabel && s.Label("flagged") == "false");
        Assert.Equal(poolFlagged, oodFlagged.Value);
        Assert.Equal(poolScored - poolFlagged, oodClear.Value);
        PrometheusSample expected = Assert.Single(samples, s => s.Name == "sisom_worker_ood_expected_items_total" && s.Label("run") == runLabel);
        Assert.Equal(poolScored * (1 - 0.95), expected.Value, 1e-6);

        // Npgsql's meter is wired to the same endpoint. (MassTransit's is too, but it is configured once per process and
        // goes quiet when the first host that configured it stops: in this test process, an earlier test's host.)
        string names = string.Join(", ", samples.Select(s => s.Name).Distinct());
        Assert.True(samples.Any(s => s.Name.StartsWith("db_client_operation_duration_seconds", StringComparison.Ordinal)), names);
    }

    [Fact]
    public async Task Each_shard_is_one_span_with_a_child_span_per_stage()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SisomTelemetry.WorkerSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);

        Guid runId;
        await using (EmbeddingsRun run = await EmbeddingsRun.StartAsync(database, "traces", items: 500, shardSize: 200))
        {
            runId = run.RunId;
        }

        string runTag = runId.ToString();
        List<Activity> shards = stopped.Where(a => a.OperationName == SisomTelemetry.ShardSpanName && (string?)a.GetTagItem(SisomTelemetry.RunTag) == runTag).ToList();
        long shardRows = await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1", runId);
        Assert.Equal(shardRows, shards.Count);
        Assert.Equal(shardRows, shards.Select(s => Convert.ToInt32(s.GetTagItem(SisomTelemetry.ShardTag), CultureInfo.InvariantCulture)).Distinct().Count());
        Assert.Equal(500, shards.Sum(s => Convert.ToInt64(s.GetTagItem(SisomTelemetry.ItemsTag), CultureInfo.InvariantCulture)));
        foreach (Activity shard in shards)
        {
            List<Activity> children = stopped.Where(a => a.TraceId == shard.TraceId && a.ParentSpanId == shard.SpanId).ToList();
            Assert.Equal(["commit", "read", "score"], children.Select(c => c.OperationName).Order(StringComparer.Ordinal));
            foreach (Activity child in children)
            {
                Assert.True(child.Duration <= shard.Duration + TimeSpan.FromMilliseconds(5), $"{child.OperationName} lasts {child.Duration}, its shard {shard.Duration}");
                Assert.True((double)child.GetTagItem(SisomTelemetry.BusySecondsTag)! <= child.Duration.TotalSeconds + 1e-3);
            }
        }
    }
}
