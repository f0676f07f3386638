using System.Diagnostics;
using System.Globalization;
using Npgsql;
using SisomCluster.Core.Selection;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// Measures what the per-shard aggregates buy and cost, and prints it (timing is reported, never asserted): the
/// finaliser's reads — top candidates, drift per source and hour, four histograms — merged from the aggregates against
/// the same reads as full scans of <c>item_scores</c>, on one run; and the commit time of the same rows without aggregates
/// and with them under each drift lookup (<see cref="DriftLookup"/>), the three alternating shard by shard; the drift
/// counts of the two lookups are asserted equal. <c>SISOM_FINALIZE_ROWS</c> sets the run's size (default 20 000; README "Per-shard aggregates" has the
/// 10⁵ and 10⁶ figures). The merged answers are asserted equal to the scans at every size.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class FinalizeCostTests(DatabaseFixture fixture, ITestOutputHelper output)
{
    private const int ShardSize = 10_000;

    private static readonly OodGate[] Gates = [new("sisom", 1.4), new("knn", 0.45)];

    [Fact]
    public async Task Finaliser_reads_from_aggregates_equal_the_full_scan_and_report_their_cost()
    {
        int rows = int.Parse(Environment.GetEnvironmentVariable("SISOM_FINALIZE_ROWS") ?? "20000", CultureInfo.InvariantCulture);
        int shards = (rows + ShardSize - 1) / ShardSize;
        Guid poolId = await Seed.PoolAsync(fixture);
        Guid contextId = await Seed.ContextAsync(fixture, poolId);
        Guid runId = await Seed.RunAsync(fixture, poolId, shards, itemsPerShard: ShardSize);
        Guid plainRunId = await Seed.RunAsync(fixture, poolId, shards, itemsPerShard: ShardSize);
        Guid registryRunId = await Seed.RunAsync(fixture, poolId, shards, itemsPerShard: ShardSize);

        await new ItemRegistry(fixture.DataSource).AddItemsAsync(
            poolId, Enumerable.Range(0, shards).SelectMany(s => Enumerable.Range(0, ShardSize).Select(i => new ItemRow($"s{s}/{i:D7}.jpg", Source: Source(i)))));
        var spec = new ShardAggregateSpec
        {
            PoolId = poolId,
            OodScore = "knn",
            Gates = Gates,
            CandidateLimit = 400,
            BinWidths = ScoreBins.Scores.ToDictionary(s => s, _ => ScoreBins.Width(1.5)),
            Drift = DriftLookup.Rows,
        };
        var writer = new ShardResultWriter(fixture.DataSource);

        // The same rows into three runs, the order rotating shard by shard: without aggregates; with them, the drift grouped
        // from the rows (the worker's path for stored embeddings); counted against items (the previous commit, image pools).
        List<(Guid Run, ShardAggregateSpec? Spec)> paths =
        [
            (runId, spec),
            (plainRunId, null),
            (registryRunId, spec with { Drift = DriftLookup.Registry }),
        ];
        var spent = paths.ToDictionary(p => p.Run, _ => TimeSpan.Zero);
        for (int s = 0; s < shards; s++)
        {
            List<ItemScoreRow> shard = [.. ScoreRows.Make(contextId, ShardSize, prefix: $"s{s}", seed: s).Select((r, i) => r with { Source = Source(i) })];
            for (int k = 0; k < paths.Count; k++)
            {
                (Guid run, ShardAggregateSpec? aggregates) = paths[(s + k) % paths.Count];
                var clock = Stopwatch.StartNew();
                ShardCommitOutcome outcome = await writer.CommitAsync(run, s, 1, shard, [], aggregates);
                clock.Stop();
                Assert.Equal(ShardCommitStatus.Committed, outcome.Status);
                spent[run] += clock.Elapsed;
            }
        }

        TimeSpan withAggregates = spent[runId], without = spent[plainRunId];
        List<DriftCount> rowsDrift = await RunAggregates.DriftAsync(fixture.DataSource, runId, default);
        Assert.Equal(
            rowsDrift.OrderBy(d => d.Kind).ThenBy(d => d.Bucket, StringComparer.Ordinal),
            (await RunAggregates.DriftAsync(fixture.DataSource, registryRunId, default)).OrderBy(d => d.Kind).ThenBy(d => d.Bucket, StringComparer.Ordinal));

        await using (NpgsqlCommand analyze = fixture.DataSource.CreateCommand($"ANALYZE {ItemScorePartitions.Name(runId)}; ANALYZE items"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        const int Limit = 40;
        (TimeSpan merged, TimeSpan scanned) = (TimeSpan.MaxValue, TimeSpan.MaxValue);
        for (int repeat = 0; repeat < 3; repeat++)
        {
            var clock = Stopwatch.StartNew();
            List<ShardCandidate>? candidates = await RunAggregates.CandidatesAsync(fixture.DataSource, runId, poolId, spec.Filter, Limit, default);
            List<DriftCount> drift = await RunAggregates.DriftAsync(fixture.DataSource, runId, default);
            foreach (string score in ScoreBins.Scores)
            {
                await RunAggregates.HistogramAsync(fixture.DataSource, runId, score, default);
            }

            clock.Stop();
            merged = clock.Elapsed < merged ? clock.Elapsed : merged;

            clock.Restart();
            List<string> scanCandidates = await ScanCandidatesAsync(runId, poolId, Limit);
            List<string> scanDrift = await ScanDriftAsync(runId, poolId);
            foreach (string score in ScoreBins.Scores)
            {
                await ScanHistogramAsync(runId, score, spec.BinWidths[score]);
            }

            clock.Stop();
            scanned = clock.Elapsed < scanned ? clock.Elapsed : scanned;
            Assert.NotNull(candidates);
            Assert.Equal(scanCandidates, candidates.Select(c => c.ItemId));
            Assert.Equal(scanDrift, drift.Select(d => $"{d.Kind.ToString().ToLowerInvariant()}|{d.Bucket}|{d.Scored}|{d.Flagged}").Order(StringComparer.Ordinal));
        }

        string line = FormattableString.Invariant(
            $"finaliser reads, {rows} rows in {shards} shards: merged aggregates {merged.TotalMilliseconds:F1} ms, full scan {scanned.TotalMilliseconds:F1} ms (best of 3); commits {without.TotalSeconds:F2} s without aggregates, with them {withAggregates.TotalSeconds:F2} s (drift from the rows), {spent[registryRunId].TotalSeconds:F2} s (drift against items, one probe per item: the previous commit); load {File.ReadAllText("/proc/loadavg").Trim()}");
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private static string Source(int index) => $"site-{index % 7}";

    private async Task<List<string>> ScanCandidatesAsync(Guid runId, Guid poolId, int limit) =>
        await ReadAsync(
            """
            SELECT s.item_id FROM item_scores s
            LEFT JOIN labels l ON l.pool_id = $2 AND l.item_id = s.item_id
            WHERE s.run_id = $1 AND l.item_id IS NULL AND s.ood_knn = false AND s.sisom <= 1.4 AND s.knn <= 0.45
            ORDER BY s.sisom DESC, s.item_id LIMIT 40
            """,
            runId,
            poolId);

    private async Task<List<string>> ScanDriftAsync(Guid runId, Guid poolId) =>
        [.. (await ReadAsync(
            """
            SELECT 'source' || '|' || coalesce(i.source, '(none)') || '|' || count(*) || '|' || count(*) FILTER (WHERE s.ood_knn)
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY coalesce(i.source, '(none)')
            UNION ALL
            SELECT 'hour' || '|' || to_char(date_trunc('hour', coalesce(i.captured_at, s.scored_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"') || '|' || count(*) || '|' || count(*) FILTER (WHERE s.ood_knn)
            FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id
            WHERE s.run_id = $1 AND NOT s.is_reference GROUP BY date_trunc('hour', coalesce(i.captured_at, s.scored_at) AT TIME ZONE 'UTC')
            """,
            runId,
            poolId)).Order(StringComparer.Ordinal)];

    private Task<List<string>> ScanHistogramAsync(Guid runId, string score, double width)
    {
        string bin = $"floor({score} / {width.ToString("R", CultureInfo.InvariantCulture)})::bigint";
        return ReadAsync(
            $"SELECT {bin} || ':' || count(*) FROM item_scores WHERE run_id = $1 AND NOT is_reference AND {score} > '-Infinity'::float8 AND {score} < 'Infinity'::float8 GROUP BY {bin}",
            runId);
    }

    private async Task<List<string>> ReadAsync(string sql, params Guid[] parameters)
    {
        await using NpgsqlCommand command = fixture.DataSource.CreateCommand(sql);
        foreach (Guid p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = p });
        }

        var values = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
