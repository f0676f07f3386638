using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.Selection;
using SisomCluster.Data;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Telemetry;
using SisomCluster.Server.Tests.Api;
using Xunit;

namespace SisomCluster.Server.Tests.Aggregator;

/// <summary>
/// Live drift (issue 14): a run of several shards, one held back, committed through the real fenced commit path with its
/// aggregates. Before the run completes the API's drift, thresholds and histograms answer from the committed shards,
/// marked partial; once every shard is in, the finaliser's merge of the aggregates gives the full scan's selection and
/// drift points.
/// </summary>
public sealed class LiveDriftTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private const int Shards = 3;

    private const int RowsPerShard = 120;

    [Fact]
    public async Task Drift_is_served_from_the_committed_shards_before_the_run_completes_and_the_final_merge_equals_the_full_scan()
    {
        (Run run, List<ItemScoreRow>[] shards) = await RunAsync();
        var writer = new ShardResultWriter(host.Database.DataSource);
        var spec = new ShardAggregateSpec
        {
            PoolId = run.PoolId,
            OodScore = run.OodScore,
            CandidateLimit = run.Budget * 4,
            BinWidths = ScoreBins.Scores.ToDictionary(s => s, _ => ScoreBins.Width(0.5)),
        };

        // Nothing committed yet: partial and empty.
        Assert.Empty(await DriftAsync(run.Id));
        for (int s = 0; s < Shards - 1; s++)
        {
            Assert.Equal(ShardCommitStatus.Committed, (await writer.CommitAsync(run.Id, s, 1, shards[s], [], spec)).Status);
        }

        // Shard 2 is held back: the API shows drift counts of shards 0 and 1, marked partial, equal to their scan.
        JsonElement[] partial = await DriftAsync(run.Id);
        Assert.NotEmpty(partial);
        Assert.All(partial, p => Assert.True(p.GetProperty("partial").GetBoolean()));
        Assert.Equal(await ScanDriftAsync(run), partial.Select(Point).OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(2 * (RowsPerShard - (RowsPerShard / 10)), partial.Where(p => p.GetProperty("kind").GetString() == "source").Sum(p => p.GetProperty("scored").GetInt64()));

        // Paging walks the same live points.
        JsonElement first = await GetAsync($"/api/v1/runs/{run.Id}/drift?page_size=2");
        string? token = first.GetProperty("next_page_token").GetString();
        Assert.NotNull(token);
        JsonElement second = await GetAsync($"/api/v1/runs/{run.Id}/drift?page_size=100&page_token={Uri.EscapeDataString(token)}");
        Assert.Equal(partial.Select(Point), first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(Point));

        // Thresholds: the context's, known before scoring; histograms: the committed shards' bins.
        JsonElement[] thresholds = [.. (await GetAsync($"/api/v1/runs/{run.Id}/thresholds")).EnumerateArray()];
        Assert.Contains(thresholds, t => t.GetProperty("score_kind").GetString() == "knn" && t.GetProperty("value").GetDouble() == 0.4 && t.GetProperty("partial").GetBoolean());
        JsonElement histogram = (await GetAsync($"/api/v1/runs/{run.Id}/histograms?score=knn&bins=20")).EnumerateArray().Single();
        Assert.True(histogram.GetProperty("partial").GetBoolean());
        Assert.Equal(0.4, histogram.GetProperty("threshold").GetDouble());
        Assert.Equal(2 * (RowsPerShard - (RowsPerShard / 10)), histogram.GetProperty("counts").EnumerateArray().Sum(c => c.GetInt64()));
        Assert.InRange(histogram.GetProperty("counts").GetArrayLength(), 2, 20);

        Assert.Equal(ShardCommitStatus.Committed, (await writer.CommitAsync(run.Id, Shards - 1, 1, shards[Shards - 1], [], spec)).Status);
        Assert.Equal(await ScanDriftAsync(run), (await DriftAsync(run.Id)).Select(Point).OrderBy(p => p, StringComparer.Ordinal));

        // The finaliser: merged aggregates and the full scan give the same ranked selection and drift points.
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using SisomDbContext db = host.Database.CreateDbContext();
        var finalizer = new RunFinalizer(
            db,
            host.Database.DataSource,
            Options.Create(new AggregatorOptions { Selection = SelectionPolicy.Threshold }),
            TimeProvider.System,
            new SisomMetrics(services.GetRequiredService<IMeterFactory>()),
            NullLogger<RunFinalizer>.Instance);
        IReadOnlyList<SelectedItem> merged = await finalizer.SelectAsync(run, run.ContextId!.Value, fromAggregates: true, default);
        IReadOnlyList<SelectedItem> scanned = await finalizer.SelectAsync(run, run.ContextId!.Value, fromAggregates: false, default);
        Assert.Equal(run.Budget, merged.Count);
        Assert.Equal(scanned.Select(s => (s.Rank, s.Id, s.Score)), merged.Select(s => (s.Rank, s.Id, s.Score)));
        Assert.Equal(
            (await finalizer.DriftAsync(run, fromAggregates: false, default)).Select(Point).Order(StringComparer.Ordinal),
            (await finalizer.DriftAsync(run, fromAggregates: true, default)).Select(Point).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_completed_run_serves_its_stored_drift_and_thresholds_not_partial()
    {
        JsonElement[] drift = await DriftAsync(host.RunId);
        Assert.NotEmpty(drift);
        Assert.All(drift, p => Assert.False(p.GetProperty("partial").GetBoolean()));
        JsonElement[] thresholds = [.. (await GetAsync($"/api/v1/runs/{host.RunId}/thresholds")).EnumerateArray()];
        Assert.All(thresholds, t => Assert.False(t.GetProperty("partial").GetBoolean()));
    }

    /// <summary>A running run of the host's pool over its own context (thresholds sisom 1.2, knn 0.4); items with sources and capture hours.</summary>
    private async Task<(Run Run, List<ItemScoreRow>[] Shards)> RunAsync()
    {
        Guid contextId = await Seed.ContextAsync(host.Database, host.PoolId);
        Guid runId = await Seed.RunAsync(host.Database, host.PoolId, Shards, itemsPerShard: RowsPerShard);
        var random = new Random(11);
        var at = new DateTimeOffset(2031, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var shards = new List<ItemScoreRow>[Shards];
        var items = new List<Item>();
        for (int s = 0; s < Shards; s++)
        {
            shards[s] = [];
            for (int i = 0; i < RowsPerShard; i++)
            {
                double knn = random.NextDouble() * 0.6;
                double sisom = random.NextDouble() * 2;
                string id = $"live-{runId:N}/{s}/{i:D4}.jpg";
                shards[s].Add(new ItemScoreRow
                {
                    ItemId = id,
                    ContextId = contextId,
                    Score = new SisomItemScore(i % 3, 0, 0.5, 0.4, sisom, sisom, sisom * 0.9, knn, LogitBaselines.Compute([2f, 1f, 0.5f]), sisom > 1.2, false, knn > 0.4, false, false, i % 10 == 0),
                    ScoredAt = at.AddMinutes((37 * i) + (s * 300)),
                });
                items.Add(new Item { PoolId = host.PoolId, ItemId = id, Source = $"site-{(i + s) % 3}", CapturedAt = i % 4 == 0 ? null : at.AddMinutes(23 * i) });
            }
        }

        await using SisomDbContext db = host.Database.CreateDbContext();
        db.Items.AddRange(items);
        await db.ScoringContexts.Where(c => c.Id == contextId).ExecuteUpdateAsync(u => u.SetProperty(c => c.ThresholdSisom, 1.2).SetProperty(c => c.ThresholdKnn, 0.4));
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Running).SetProperty(r => r.ContextId, contextId));
        await db.SaveChangesAsync();
        return (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId), shards);
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using HttpResponseMessage response = await host.GetAsync(path, host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement[]> DriftAsync(Guid runId) =>
        [.. (await GetAsync($"/api/v1/runs/{runId}/drift?page_size=500")).GetProperty("items").EnumerateArray()];

    private static string Point(JsonElement p) =>
        $"{p.GetProperty("kind").GetString()}|{p.GetProperty("bucket").GetString()}|{p.GetProperty("scored").GetInt64()}|{p.GetProperty("flagged").GetInt64()}|{p.GetProperty("lower").GetDouble():R}";

    private static string Point(DriftPoint p) =>
        $"{p.BucketKind.ToString().ToLowerInvariant()}|{p.Bucket}|{p.Scored}|{p.Flagged}|{p.Lower:R}|{p.Upper:R}";

    /// <summary>The finaliser's full-scan drift query over the rows committed so far (knn flag, reference items left out).</summary>
    private async Task<List<string>> ScanDriftAsync(Run run)
    {
        await using NpgsqlCommand command = host.Database.DataSource.CreateCommand(
            """
            SELECT 'source', coalesce(i.source, '(none)'), count(*), count(*) FILTER (WHERE s.ood_knn)
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY 2
            UNION ALL
            SELECT 'hour', to_char(date_trunc('hour', coalesce(i.captured_at, s.scored_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*), count(*) FILTER (WHERE s.ood_knn)
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY 2
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.Id });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = run.PoolId });
        var points = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Core.Evaluation.WilsonInterval w = Core.Evaluation.WilsonInterval.Compute(reader.GetInt64(3), reader.GetInt64(2));
            points.Add($"{reader.GetString(0)}|{reader.GetString(1)}|{reader.GetInt64(2)}|{reader.GetInt64(3)}|{w.Lower:R}");
        }

        return [.. points.Order(StringComparer.Ordinal)];
    }
}
