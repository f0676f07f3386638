using System.Diagnostics;
using System.Globalization;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The database path of a re-scoring run alone: <c>rows</c> score rows without embeddings, in shards of
/// <c>shardSize</c>, committed by <c>writers</c> concurrent committers the way workers commit them (<see
/// cref="ShardResultWriter.BeginAsync"/>, rows added a scoring batch at a time, <see cref="ShardCommit.CompleteAsync"/>),
/// against the commit path before partitioning (<see cref="CopyLegacyCommit"/>) on the same rows in the same schema, the
/// two alternating. Each path gets a run (and so a partition) of its own.
/// </summary>
public static class CopyRescoreBenchmark
{
    /// <summary>Rows a worker hands to its commit at once: one scoring batch.</summary>
    private const int BatchRows = 256;

    public static async Task<IReadOnlyList<CopyRescoreResult>> RunAsync(
        string connection, int rows, int shardSize, IReadOnlyList<int> writers, Action<string> progress, CancellationToken cancellationToken)
    {
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
        List<ItemScoreRow> template = CopyBenchmark.Rows(contextId, shardSize, 0, "t");
        var writer = new ShardResultWriter(database.DataSource);
        var results = new List<CopyRescoreResult>();
        bool legacyFirst = true;
        foreach (int count in writers)
        {
            double current = 0, legacy = 0;
            foreach (bool isLegacy in legacyFirst ? new[] { true, false } : [false, true])
            {
                Guid runId = await CreateRunAsync(database, poolId, shards, shardSize, cancellationToken).ConfigureAwait(false);
                progress(string.Create(CultureInfo.InvariantCulture, $"{(isLegacy ? "previous path (temp table + INSERT ON CONFLICT)" : "COPY into the run's partition")}: {rows} rows, {shards} shards, {count} writer(s)"));
                var clock = Stopwatch.StartNew();
                long written = await CommitAllAsync(database, writer, runId, shards, shardSize, rows, count, template, isLegacy, cancellationToken).ConfigureAwait(false);
                double seconds = clock.Elapsed.TotalSeconds;
                if (written != rows)
                {
                    throw new InvalidOperationException($"{(isLegacy ? "previous" : "partition")} path wrote {written} rows, expected {rows}.");
                }

                progress(string.Create(CultureInfo.InvariantCulture, $"  {seconds:F2} s, {rows / seconds:F0} rows/s"));
                if (isLegacy)
                {
                    legacy = rows / seconds;
                }
                else
                {
                    current = rows / seconds;
                }
            }

            legacyFirst = !legacyFirst;
            results.Add(new CopyRescoreResult(rows, shardSize, count, current, legacy));
        }

        return results;
    }

    private static async Task<long> CommitAllAsync(
        BenchDatabase database, ShardResultWriter writer, Guid runId, int shards, int shardSize, int rows, int writers, List<ItemScoreRow> template, bool legacy, CancellationToken cancellationToken)
    {
        int next = -1;
        long written = 0;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(
            async () =>
            {
                for (int shard = Interlocked.Increment(ref next); shard < shards; shard = Interlocked.Increment(ref next))
                {
                    int count = Math.Min(shardSize, rows - (shard * shardSize));
                    List<ItemScoreRow> shardRows = template.Take(count).Select((r, i) => r with { ItemId = string.Create(CultureInfo.InvariantCulture, $"item-{shard:D6}-{i:D6}") }).ToList();
                    int inserted;
                    if (legacy)
                    {
                        inserted = await CopyLegacyCommit.CommitAsync(database.DataSource, runId, shard, shardRows, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        ShardCommit commit = await writer.BeginAsync(runId, shard, 1, cancellationToken).ConfigureAwait(false);
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
