using System.Diagnostics;
using System.Globalization;
using SisomCluster.Data;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The database path of a re-scoring run alone: <c>rows</c> score rows without embeddings, in shards of
/// <c>shardSize</c>, committed by <c>writers</c> concurrent committers the way workers commit them (<see
/// cref="ShardResultWriter.BeginAsync"/>, rows added a scoring batch at a time, <see cref="ShardCommit.CompleteAsync"/>),
/// against the commit path before partitioning (<see cref="CopyLegacyCommit"/>) on the same rows in the same schema, the
/// two alternating. Each path gets a run (and so a partition) of its own. With aggregates, the same commit also writes the
/// shard's partial aggregates (<see cref="ShardAggregateSpec"/>, as a worker does) once per drift lookup
/// (<see cref="DriftLookup"/>: grouped from the rows, or counted against <c>items</c> as the previous commit did), the pool's items
/// registered with a source each, all alternating with the commit without aggregates.
/// </summary>
public static class CopyRescoreBenchmark
{
    /// <summary>Rows a worker hands to its commit at once: one scoring batch.</summary>
    private const int BatchRows = 256;

    public static async Task<IReadOnlyList<CopyRescoreResult>> RunAsync(
        string connection, int rows, int shardSize, IReadOnlyList<int> writers, Action<string> progress, CancellationToken cancellationToken) =>
        await RunAsync(connection, rows, shardSize, writers, aggregatesBudget: 0, progress, cancellationToken).ConfigureAwait(false);

    /// <param name="aggregatesBudget">The selection budget whose candidates (each shard's share of budget × 4, as a worker keeps) each commit keeps; 0: no aggregate figures.</param>
    public static async Task<IReadOnlyList<CopyRescoreResult>> RunAsync(
        string connection, int rows, int shardSize, IReadOnlyList<int> writers, int aggregatesBudget, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(aggregatesBudget);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardSize);
        await using BenchDatabase database = await BenchDatabase.CreateAsync(connection, cancellationToken).ConfigureAwait(false);
        Guid poolId = Guid.NewGuid();
        Guid contextId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "bench-rescore-copy", SourceKind = "embeddings", SourceUri = "/bench" });
            db.ScoringContexts.Add(new Data.Scoring.ScoringContext
            {
                Id = contextId,
                PoolId = poolId,
                ModelVersion = "bench",
                ReferenceVersion = "bench",
                Alpha = 1,
                NeighbourRank = 1,
                ClassCount = 10,
                StateDimension = 512,
                Quantile = 0.95,
            });
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        int shards = (rows + shardSize - 1) / shardSize;
        List<ItemScoreRow> template = [.. CopyBenchmark.Rows(contextId, shardSize, 0, "t").Select((r, i) => r with { Source = Source(i) })];
        ShardAggregateSpec? spec = null;
        if (aggregatesBudget > 0)
        {
            // The pool's items as registration writes them, each with the source its rows carry (what DriftLookup.Rows relies on).
            progress(string.Create(CultureInfo.InvariantCulture, $"registering {rows} items (source per item) for the drift buckets"));
            await new ItemRegistry(database.DataSource).AddItemsAsync(
                poolId,
                Enumerable.Range(0, shards).SelectMany(s => Enumerable.Range(0, Math.Min(shardSize, rows - (s * shardSize))).Select(i => new ItemRow(ItemId(s, i), Source: Source(i)))),
                cancellationToken).ConfigureAwait(false);
            spec = new ShardAggregateSpec
            {
                PoolId = poolId,
                OodScore = "knn",
                Gates = [new("sisom", 1.4), new("knn", 0.45)],
                // What a worker keeps: the shard's share of the finaliser's top budget × 4 (ShardAggregateSpec.PerShardCandidates).
                CandidateLimit = ShardAggregateSpec.PerShardCandidates(checked(aggregatesBudget * 4), shards),
                BinWidths = ScoreBins.Scores.ToDictionary(s => s, _ => ScoreBins.Width(1.5)),
            };
        }

        // The paths measured, alternating (the order reverses from one writer count to the next): null = the previous path.
        List<(string Name, bool Legacy, ShardAggregateSpec? Spec)> paths = [("previous path (temp table + INSERT ON CONFLICT)", true, null), ("COPY into the run's partition", false, null)];
        if (spec is not null)
        {
            paths.AddRange(Enum.GetValues<DriftLookup>().Select(d => ($"COPY into the run's partition + aggregates, drift {d}", false, (ShardAggregateSpec?)(spec with { Drift = d }))));
        }

        var writer = new ShardResultWriter(database.DataSource);
        var results = new List<CopyRescoreResult>();
        foreach (int count in writers)
        {
            var rates = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach ((string name, bool isLegacy, ShardAggregateSpec? aggregates) in paths)
            {
                Guid runId = await CreateRunAsync(database, poolId, shards, shardSize, cancellationToken).ConfigureAwait(false);
                progress(string.Create(CultureInfo.InvariantCulture, $"{name}: {rows} rows, {shards} shards, {count} writer(s)"));
                var clock = Stopwatch.StartNew();
                long written = await CommitAllAsync(database, writer, runId, shards, shardSize, rows, count, template, isLegacy, aggregates, cancellationToken).ConfigureAwait(false);
                double seconds = clock.Elapsed.TotalSeconds;
                if (written != rows)
                {
                    throw new InvalidOperationException($"{name} wrote {written} rows, expected {rows}.");
                }

                progress(string.Create(CultureInfo.InvariantCulture, $"  {seconds:F2} s, {rows / seconds:F0} rows/s"));
                rates[aggregates is null ? (isLegacy ? "legacy" : "current") : aggregates.Drift.ToString()] = rows / seconds;
            }

            paths.Reverse();
            results.Add(new CopyRescoreResult(rows, shardSize, count, rates["current"], rates["legacy"])
            {
                Budget = aggregatesBudget,
                WithAggregatesRowsPerSecond = spec is null ? null : Enum.GetValues<DriftLookup>().ToDictionary(d => d.ToString(), d => rates[d.ToString()]),
            });
        }

        return results;
    }

    private static string ItemId(int shard, int index) => string.Create(CultureInfo.InvariantCulture, $"item-{shard:D6}-{index:D6}");

    private static string Source(int index) => string.Create(CultureInfo.InvariantCulture, $"site-{index % 7}");

    private static async Task<long> CommitAllAsync(
        BenchDatabase database, ShardResultWriter writer, Guid runId, int shards, int shardSize, int rows, int writers, List<ItemScoreRow> template, bool legacy, ShardAggregateSpec? aggregates, CancellationToken cancellationToken)
    {
        int next = -1;
        long written = 0;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(
            async () =>
            {
                for (int shard = Interlocked.Increment(ref next); shard < shards; shard = Interlocked.Increment(ref next))
                {
                    int count = Math.Min(shardSize, rows - (shard * shardSize));
                    List<ItemScoreRow> shardRows = template.Take(count).Select((r, i) => r with { ItemId = ItemId(shard, i) }).ToList();
                    int inserted;
                    if (legacy)
                    {
                        inserted = await CopyLegacyCommit.CommitAsync(database.DataSource, runId, shard, shardRows, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        ShardCommit commit = await writer.BeginAsync(runId, shard, 1, aggregates, cancellationToken).ConfigureAwait(false);
                        await using (commit.ConfigureAwait(false))
                        {
                            foreach (ItemScoreRow[] batch in shardRows.Chunk(BatchRows))
                            {
                                await commit.AddScoresAsync(batch, cancellationToken).ConfigureAwait(false);
                            }

                            ShardCommitOutcome outcome = await commit.CompleteAsync(cancellationToken).ConfigureAwait(false);
                            inserted = outcome.Status == ShardCommitStatus.Committed ? outcome.ScoresInserted : throw new InvalidOperationException($"shard {shard}: {outcome.Status}");
                        }
                    }

                    Interlocked.Add(ref written, inserted);
                }
            },
            cancellationToken))).ConfigureAwait(false);
        return written;
    }

    private static async Task<Guid> CreateRunAsync(BenchDatabase database, Guid poolId, int shards, int shardSize, CancellationToken cancellationToken)
    {
        var run = new Run { Id = Guid.NewGuid(), PoolId = poolId, ModelName = "bench", ModelVersion = "bench", ShardSize = shardSize, MaxAttempts = 3, Quantile = 0.95, Budget = 10 };
        await using SisomDbContext db = database.CreateDbContext();
        db.Runs.Add(run);
        for (int s = 0; s < shards; s++)
        {
            db.Shards.Add(new Shard { RunId = run.Id, ShardId = s, ItemCount = shardSize, Descriptor = "{}" });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return run.Id;
    }
}
