using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Core.Selection;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// The per-shard aggregates a commit writes, held to the full scan of <c>item_scores</c> they replace: the merged
/// candidates are the scan's top ids (labels applied after the commit included), the merged drift counts are the scan's
/// GROUP BY, the merged histogram bins are the scan's ⌊v / w⌋ counts; and they ride on the commit's fence.
/// </summary>
public sealed class ShardAggregateTests : IClassFixture<DatabaseFixture>
{
    private const int Shards = 4;

    private const int RowsPerShard = 300;

    private static readonly OodGate[] Gates = [new("sisom", 1.4), new("knn", 0.45)];

    private readonly DatabaseFixture _fixture;
    private readonly ShardResultWriter _writer;

    public ShardAggregateTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _writer = new ShardResultWriter(fixture.DataSource);
    }

    [Fact]
    public async Task Merged_aggregates_equal_the_full_scan_for_candidates_drift_and_histograms()
    {
        (Guid poolId, Guid runId, List<ItemScoreRow>[] shards) = await RunAsync();

        // Labeled before the commits: two of the best candidates.
        ItemScoreRow[] eligible = [.. shards.SelectMany(r => r).Where(r => !r.Score.OodKnn && r.Score.Sisom <= Gates[0].Threshold && r.Score.Knn <= Gates[1].Threshold).OrderByDescending(r => r.Score.Sisom)];
        await LabelAsync(poolId, eligible[0].ItemId, eligible[3].ItemId);
        ShardAggregateSpec spec = Spec(poolId);
        for (int s = 0; s < Shards; s++)
        {
            Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, s, 1, shards[s], [], spec)).Status);
        }

        Assert.Equal(new AggregateCoverage(Shards, Shards, Shards), await RunAggregates.CoverageAsync(_fixture.DataSource, runId, default));
        await AssertCandidatesAsync(runId, poolId, spec, 40);

        // Labeled after the commits: the merge leaves them out as the scan does.
        string[] best = await ScanCandidatesAsync(runId, poolId, 10);
        await LabelAsync(poolId, best[1], best[2], best[7]);
        await AssertCandidatesAsync(runId, poolId, spec, 40);

        // More candidates than the shards kept cannot be proven: the merge says so, and the caller scans.
        Assert.Null(await RunAggregates.CandidatesAsync(_fixture.DataSource, runId, poolId, spec.Filter, 1000, default));

        // Another filter than the shards kept theirs under: not merged.
        Assert.Null(await RunAggregates.CandidatesAsync(_fixture.DataSource, runId, poolId, ShardAggregateSpec.Describe("knn", true, []), 40, default));

        List<DriftCount> drift = await RunAggregates.DriftAsync(_fixture.DataSource, runId, default);
        List<DriftCount> scanned = await ScanDriftAsync(runId, poolId);
        Assert.Equal(scanned.OrderBy(d => d.Kind).ThenBy(d => d.Bucket, StringComparer.Ordinal), drift.OrderBy(d => d.Kind).ThenBy(d => d.Bucket, StringComparer.Ordinal));
        Assert.Contains(drift, d => d.Kind == DriftBucketKind.Source && d.Bucket == "site-a" && d.Flagged > 0);
        Assert.Contains(drift, d => d.Kind == DriftBucketKind.Source && d.Bucket == "(none)");
        Assert.True(drift.Count(d => d.Kind == DriftBucketKind.Hour) >= 3);

        // Reference items (every 25th) are out of drift, as the scan leaves them out.
        Assert.Equal(Shards * (RowsPerShard - (RowsPerShard / 25)), drift.Where(d => d.Kind == DriftBucketKind.Source).Sum(d => d.Scored));

        foreach ((string score, double width) in spec.BinWidths)
        {
            (double? mergedWidth, List<KeyValuePair<long, long>> bins) = await RunAggregates.HistogramAsync(_fixture.DataSource, runId, score, default);
            Assert.Equal(width, mergedWidth);
            Assert.Equal(await ScanHistogramAsync(runId, score, width), bins);
            Assert.True(bins.Count > 5, $"{score}: {bins.Count} bins");
        }
    }

    [Fact]
    public async Task Aggregates_ride_on_the_commit_fence_redelivered_stale_and_abandoned_commits_add_none()
    {
        (Guid poolId, Guid runId, List<ItemScoreRow>[] shards) = await RunAsync();
        ShardAggregateSpec spec = Spec(poolId);

        // Abandoned half-way: the aggregates go with the rolled-back transaction.
        await using (ShardCommit open = await _writer.BeginAsync(runId, 0, 1, spec))
        {
            await open.AddScoresAsync(shards[0]);
        }

        Assert.Equal(0, await _fixture.CountForRunAsync("shard_aggregates", runId));

        // A stale attempt is refused before anything is written.
        Assert.Equal(ShardCommitStatus.StaleAttempt, (await _writer.CommitAsync(runId, 0, 2, shards[0], [], spec)).Status);
        Assert.Equal(0, await _fixture.CountForRunAsync("shard_drift", runId));

        Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, 0, 1, shards[0], [], spec)).Status);
        long candidates = await _fixture.CountForRunAsync("shard_candidates", runId);
        long drift = await _fixture.CountForRunAsync("shard_drift", runId);
        long binned = await _fixture.CountAsync("SELECT sum(c)::bigint FROM shard_histograms, unnest(counts) AS c WHERE run_id = $1", runId);

        // Redelivered: refused by the fence, so nothing is counted twice.
        Assert.Equal(ShardCommitStatus.AlreadyDone, (await _writer.CommitAsync(runId, 0, 1, shards[0], [], spec)).Status);
        Assert.Equal(1, await _fixture.CountForRunAsync("shard_aggregates", runId));
        Assert.Equal(candidates, await _fixture.CountForRunAsync("shard_candidates", runId));
        Assert.Equal(drift, await _fixture.CountForRunAsync("shard_drift", runId));
        Assert.Equal(binned, await _fixture.CountAsync("SELECT sum(c)::bigint FROM shard_histograms, unnest(counts) AS c WHERE run_id = $1", runId));
        Assert.Equal(4L * (RowsPerShard - (RowsPerShard / 25)), binned);

        // A shard committed without aggregates (before the migration, or a bench) leaves the coverage incomplete: callers scan.
        Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, 1, 1, shards[1], [])).Status);
        AggregateCoverage coverage = await RunAggregates.CoverageAsync(_fixture.DataSource, runId, default);
        Assert.False(coverage.Complete);
        Assert.Equal(new AggregateCoverage(2, 1, Shards), coverage);
    }

    [Fact]
    public async Task A_bad_aggregate_spec_is_refused_before_the_commit_begins()
    {
        (Guid poolId, Guid runId, _) = await RunAsync();
        ArgumentException unknown = await Assert.ThrowsAsync<ArgumentException>(() => _writer.BeginAsync(runId, 0, 1, Spec(poolId) with { OodScore = "msp" }));
        Assert.Contains("msp", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _writer.BeginAsync(runId, 0, 1, Spec(poolId) with { CandidateLimit = 0 }));
        ArgumentException width = await Assert.ThrowsAsync<ArgumentException>(() => _writer.BeginAsync(runId, 0, 1, Spec(poolId) with { BinWidths = new Dictionary<string, double> { ["sisom"] = 0 } }));
        Assert.Contains("sisom", width.Message, StringComparison.Ordinal);
        Assert.Equal(0, await _fixture.CountForRunAsync("shard_aggregates", runId));
    }

    [Fact]
    public async Task Drift_grouped_from_the_rows_equals_the_registry_count_and_the_scan_in_every_case()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        string?[] sources = [null, "", "site-a", "Site-A", "(none)", "café/☃"];
        var utc = new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero);
        DateTimeOffset?[] captured =
        [
            null,
            utc.AddMinutes(59),
            new DateTimeOffset(2025, 7, 1, 4, 45, 0, TimeSpan.FromHours(5.5)), // 2025-06-30T23:15Z: the UTC hour, not the local one
            new DateTimeOffset(2025, 6, 30, 16, 30, 0, TimeSpan.FromHours(-8)), // 2025-07-01T00:30Z: the next UTC day
            new DateTimeOffset(2025, 6, 30, 10, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), // sub-microsecond before an hour: Npgsql truncates
            new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_995), // before 2000: truncated toward 2000-01-01T00:00
            new DateTimeOffset(1, 1, 1, 0, 30, 0, TimeSpan.Zero), // year 1, four digits
        ];
        DateTimeOffset[] scoredAt =
        [
            new DateTimeOffset(2025, 3, 1, 12, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
            new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_996),
            new DateTimeOffset(2025, 3, 1, 13, 0, 0, TimeSpan.FromHours(2)),
        ];

        // Every combination, some items left out of the registry (a grown pool's new items: "(none)" at the scoring hour),
        // every 11th a reference item; registered through the registry's own COPY, as pool registration does.
        List<ItemScoreRow> rows = [];
        List<ItemRow> registered = [];
        List<ItemScoreRow> template = ScoreRows.Make(contextId, sources.Length * captured.Length * scoredAt.Length * 2, prefix: "edge", seed: 3);
        int n = 0;
        foreach (string? source in sources)
        {
            foreach (DateTimeOffset? at in captured)
            {
                foreach (DateTimeOffset scored in scoredAt)
                {
                    for (int copy = 0; copy < 2; copy++, n++)
                    {
                        ItemScoreRow row = template[n] with { ScoredAt = scored };
                        if (n % 11 == 5)
                        {
                            row = row with { Score = row.Score with { IsReference = true } };
                        }

                        if (n % 7 == 2)
                        {
                            rows.Add(row);
                        }
                        else
                        {
                            registered.Add(new ItemRow(row.ItemId, Source: source, CapturedAt: at));
                            rows.Add(row with { Source = source, CapturedAt = at });
                        }
                    }
                }
            }
        }

        await new ItemRegistry(_fixture.DataSource).AddItemsAsync(poolId, registered);
        var drift = new Dictionary<DriftLookup, List<DriftCount>>();
        foreach (DriftLookup lookup in Enum.GetValues<DriftLookup>())
        {
            Guid runId = await Seed.RunAsync(_fixture, poolId, 1, itemsPerShard: rows.Count);

            // The registry lookup gets rows without the metadata: what it counts comes from items alone.
            IReadOnlyList<ItemScoreRow> given = lookup == DriftLookup.Rows ? rows : [.. rows.Select(r => r with { Source = null, CapturedAt = null })];
            Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, 0, 1, given, [], Spec(poolId) with { Drift = lookup })).Status);
            drift[lookup] = [.. (await RunAggregates.DriftAsync(_fixture.DataSource, runId, default)).OrderBy(d => d.Kind).ThenBy(d => d.Bucket, StringComparer.Ordinal)];
            Assert.Equal((await ScanDriftAsync(runId, poolId)).OrderBy(d => d.Kind).ThenBy(d => d.Bucket, StringComparer.Ordinal), drift[lookup]);
        }

        Assert.Equal(drift[DriftLookup.Registry], drift[DriftLookup.Rows]);
        List<DriftCount> hours = [.. drift[DriftLookup.Rows].Where(d => d.Kind == DriftBucketKind.Hour)];
        Assert.Contains(hours, d => d.Bucket == "2025-06-30T23:00Z");
        Assert.Contains(hours, d => d.Bucket == "2025-07-01T00:00Z");
        Assert.Contains(hours, d => d.Bucket == "2025-06-30T10:00Z");
        Assert.Contains(hours, d => d.Bucket == "2000-01-01T00:00Z");
        Assert.Contains(hours, d => d.Bucket == "0001-01-01T00:00Z");
        Assert.Contains(hours, d => d.Bucket == "2025-03-01T12:00Z");
        Assert.Contains(hours, d => d.Bucket == "2025-03-01T11:00Z");
        Assert.DoesNotContain(hours, d => d.Bucket == "1999-12-31T23:00Z");
        Assert.Contains(drift[DriftLookup.Rows], d => d.Kind == DriftBucketKind.Source && d.Bucket.Length == 0);
        Assert.Equal(rows.Count(r => !r.Score.IsReference), drift[DriftLookup.Rows].Where(d => d.Kind == DriftBucketKind.Source).Sum(d => d.Scored));
    }

    [Fact]
    public async Task Shards_keeping_their_share_of_the_candidates_merge_to_the_full_scan_or_say_they_cannot()
    {
        Assert.Equal(4000, ShardAggregateSpec.PerShardCandidates(4000, 1));
        Assert.Equal(224, ShardAggregateSpec.PerShardCandidates(4000, 100));
        Assert.Equal(66, ShardAggregateSpec.PerShardCandidates(400, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardAggregateSpec.PerShardCandidates(400, 0));

        // 16 shards of 300 rows, the finaliser's top 200: each shard keeps 114 instead of 200.
        const int Many = 16, Limit = 200;
        ShardAggregateSpec spec = Spec(Guid.Empty) with { CandidateLimit = ShardAggregateSpec.PerShardCandidates(Limit, Many) };
        Assert.Equal(114, spec.CandidateLimit);
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        spec = spec with { PoolId = poolId };
        foreach (bool sorted in new[] { false, true })
        {
            // Sorted: shard 0 holds nearly all of the top (a pool ordered by something the scores follow).
            Guid runId = await Seed.RunAsync(_fixture, poolId, Many, itemsPerShard: RowsPerShard);
            for (int s = 0; s < Many; s++)
            {
                List<ItemScoreRow> rows = [.. ScoreRows.Make(contextId, RowsPerShard, prefix: $"many{sorted}{s}", seed: 40 + s)
                    .Select(r => sorted && s > 0 ? r with { Score = r.Score with { Sisom = r.Score.Sisom * 0.1 } } : r)];
                Assert.Equal(ShardCommitStatus.Committed, (await _writer.CommitAsync(runId, s, 1, rows, [], spec)).Status);
            }

            Assert.True(await _fixture.CountForRunAsync("shard_candidates", runId) <= Many * spec.CandidateLimit);
            List<ShardCandidate>? merged = await RunAggregates.CandidatesAsync(_fixture.DataSource, runId, poolId, spec.Filter, Limit, default);
            if (sorted)
            {
                Assert.Null(merged);
            }
            else
            {
                Assert.NotNull(merged);
                Assert.Equal(await ScanCandidatesAsync(runId, poolId, Limit), merged.Select(c => c.ItemId));
            }
        }
    }

    private static ShardAggregateSpec Spec(Guid poolId) => new()
    {
        PoolId = poolId,
        OodScore = "knn",
        Gates = Gates,
        CandidateLimit = 40,
        BinWidths = new Dictionary<string, double> { ["sisom"] = ScoreBins.Width(1.5), ["sisome"] = ScoreBins.Width(null), ["knn"] = ScoreBins.Width(0.45), ["energy"] = ScoreBins.Width(-3) },
    };

    /// <summary>A run of <see cref="Shards"/> shards; two thirds of the items have a source, four fifths a capture time, every 25th is a reference item.</summary>
    private async Task<(Guid PoolId, Guid RunId, List<ItemScoreRow>[] Shards)> RunAsync()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runId = await Seed.RunAsync(_fixture, poolId, Shards, itemsPerShard: RowsPerShard);
        var shards = new List<ItemScoreRow>[Shards];
        var items = new List<Item>();
        var captured = new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero);
        for (int s = 0; s < Shards; s++)
        {
            shards[s] = [.. ScoreRows.Make(contextId, RowsPerShard, prefix: $"shard{s}", seed: 7 + s).Select((r, i) => i % 25 == 3 ? r with { Score = r.Score with { IsReference = true } } : r)];
            items.AddRange(shards[s].Select((r, i) => new Item
            {
                PoolId = poolId,
                ItemId = r.ItemId,
                Source = i % 3 == 0 ? null : i % 2 == 0 ? "site-a" : "site-b",
                CapturedAt = i % 5 == 0 ? null : captured.AddMinutes(17 * i),
            }));
        }

        await using SisomDbContext db = _fixture.CreateDbContext();
        db.Items.AddRange(items);
        await db.SaveChangesAsync();
        return (poolId, runId, shards);
    }

    private async Task AssertCandidatesAsync(Guid runId, Guid poolId, ShardAggregateSpec spec, int limit)
    {
        List<ShardCandidate>? merged = await RunAggregates.CandidatesAsync(_fixture.DataSource, runId, poolId, spec.Filter, limit, default);
        Assert.NotNull(merged);
        Assert.Equal(await ScanCandidatesAsync(runId, poolId, limit), merged.Select(c => c.ItemId));
    }

    /// <summary>The finaliser's full-scan candidate query (RunFinalizer.ScanCandidatesAsync) with the spec's flag and gates.</summary>
    private async Task<string[]> ScanCandidatesAsync(Guid runId, Guid poolId, int limit)
    {
        await using NpgsqlCommand command = _fixture.DataSource.CreateCommand(
            """
            SELECT s.item_id FROM item_scores s
            LEFT JOIN labels l ON l.pool_id = $2 AND l.item_id = s.item_id
            WHERE s.run_id = $1 AND l.item_id IS NULL AND s.ood_knn = false AND s.sisom <= $4 AND s.knn <= $5
            ORDER BY s.sisom DESC, s.item_id LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = Gates[0].Threshold });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = Gates[1].Threshold });
        var ids = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids];
    }

    /// <summary>The finaliser's full-scan drift query (RunFinalizer.DriftAsync) by the knn flag.</summary>
    private async Task<List<DriftCount>> ScanDriftAsync(Guid runId, Guid poolId)
    {
        await using NpgsqlCommand command = _fixture.DataSource.CreateCommand(
            """
            SELECT 'source' AS kind, coalesce(i.source, '(none)') AS bucket, count(*), count(*) FILTER (WHERE s.ood_knn)
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY 2
            UNION ALL
            SELECT 'hour', to_char(date_trunc('hour', coalesce(i.captured_at, s.scored_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*), count(*) FILTER (WHERE s.ood_knn)
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY 2
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
        var counts = new List<DriftCount>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts.Add(new DriftCount(reader.GetString(0) == "source" ? DriftBucketKind.Source : DriftBucketKind.Hour, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return counts;
    }

    /// <summary>The fixed bins over every row of the run: ⌊v / w⌋ of the finite values, reference items left out.</summary>
    private async Task<List<KeyValuePair<long, long>>> ScanHistogramAsync(Guid runId, string score, double width)
    {
        await using NpgsqlCommand command = _fixture.DataSource.CreateCommand(
            $"""
            SELECT floor({score} / $2)::bigint, count(*) FROM item_scores
            WHERE run_id = $1 AND NOT is_reference AND {score} > '-Infinity'::float8 AND {score} < 'Infinity'::float8
            GROUP BY 1 ORDER BY 1
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = width });
        var bins = new List<KeyValuePair<long, long>>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            bins.Add(new KeyValuePair<long, long>(reader.GetInt64(0), reader.GetInt64(1)));
        }

        return bins;
    }

    private async Task LabelAsync(Guid poolId, params string[] itemIds)
    {
        await using SisomDbContext db = _fixture.CreateDbContext();
        Guid import = Guid.NewGuid();
        db.Labels.AddRange(itemIds.Select(id => new ItemLabel { PoolId = poolId, ItemId = id, Label = 1, ImportedAt = DateTimeOffset.UtcNow, ImportId = import }));
        await db.SaveChangesAsync();
    }
}
