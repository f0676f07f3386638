using System.Diagnostics;
using System.Globalization;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// <c>sisom bench copy</c>: the worker's result commit (binary COPY straight into the run's <c>item_scores</c> partition
/// under the shard's fence, shard flipped to done, one transaction — <see cref="ShardResultWriter"/>) against the same
/// rows saved the ordinary way, EF Core <c>AddRange</c> + <c>SaveChanges</c> (batched INSERTs), in a schema of its own.
/// The re-scoring-shaped figure against the previous commit path is <see cref="CopyRescoreBenchmark"/>.
/// </summary>
public static class CopyBenchmark
{
    public static async Task<IReadOnlyList<CopyBenchmarkResult>> RunAsync(string connection, int rows, IReadOnlyList<int> dimensions, Action<string> progress, CancellationToken cancellationToken)
    {
        await using BenchDatabase database = await BenchDatabase.CreateAsync(connection, cancellationToken).ConfigureAwait(false);
        Guid poolId = Guid.NewGuid();
        Guid contextId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "bench-copy", SourceKind = "directory", SourceUri = "/bench" });
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

        var writer = new ShardResultWriter(database.DataSource);
        var results = new List<CopyBenchmarkResult>();
        foreach (int dimension in dimensions)
        {
            Guid runId = await RunAsync(database, poolId, rows, cancellationToken).ConfigureAwait(false);

            // Warm-up on shard 2: connections, type loading and plans are not in the measurement.
            await writer.CommitAsync(runId, 2, 1, Rows(contextId, 100, dimension, "warm"), [], cancellationToken).ConfigureAwait(false);

            progress($"COPY commit of {rows} rows, D = {dimension}");
            List<ItemScoreRow> copyRows = Rows(contextId, rows, dimension, "copy");
            var clock = Stopwatch.StartNew();
            ShardCommitOutcome outcome = await writer.CommitAsync(runId, 0, 1, copyRows, [], cancellationToken).ConfigureAwait(false);
            double copySeconds = clock.Elapsed.TotalSeconds;
            if (outcome.Status != ShardCommitStatus.Committed || outcome.ScoresInserted != rows)
            {
                throw new InvalidOperationException($"COPY commit wrote {outcome.ScoresInserted} rows ({outcome.Status}), expected {rows}.");
            }

            progress($"EF Core SaveChanges of {rows} rows, D = {dimension}");
            List<ItemScoreRow> efRows = Rows(contextId, rows, dimension, "ef");
            clock.Restart();
            await using (SisomDbContext db = database.CreateDbContext())
            {
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                db.ItemScores.AddRange(efRows.Select(r => Entity(runId, 1, r)));
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }

            double efSeconds = clock.Elapsed.TotalSeconds;
            results.Add(new CopyBenchmarkResult(rows, dimension, rows / copySeconds, rows / efSeconds));
        }

        return results;
    }

    private static async Task<Guid> RunAsync(BenchDatabase database, Guid poolId, int rows, CancellationToken cancellationToken)
    {
        var run = new Run { Id = Guid.NewGuid(), PoolId = poolId, ModelName = "bench", ModelVersion = "bench", ShardSize = rows, MaxAttempts = 3, Quantile = 0.95, Budget = 10 };
        await using SisomDbContext db = database.CreateDbContext();
        db.Runs.Add(run);
        for (int s = 0; s < 3; s++)
        {
            db.Shards.Add(new Shard { RunId = run.Id, ShardId = s, ItemCount = rows, Descriptor = "{}" });
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return run.Id;
    }

    internal static List<ItemScoreRow> Rows(Guid contextId, int count, int dimension, string prefix)
    {
        var random = new Random(7);
        DateTimeOffset at = DateTimeOffset.UtcNow;
        var rows = new List<ItemScoreRow>(count);
        for (int i = 0; i < count; i++)
        {
            float[]? embedding = dimension == 0 ? null : Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble()).ToArray();
            double r = random.NextDouble();
            rows.Add(new ItemScoreRow
            {
                ItemId = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D8}"),
                ContextId = contextId,
                Score = new SisomItemScore(
                    Predicted: i % 10,
                    NearestReference: 1,
                    DIn: r,
                    DOut: 1,
                    Ratio: r,
                    Sisom: r,
                    Sisome: r,
                    Knn: r,
                    Baselines: LogitBaselines.Compute([(float)r, (float)(1 - r), 0.5f]),
                    OodSisom: r > 0.95,
                    OodSisome: r > 0.95,
                    OodKnn: r > 0.95,
                    OodEnergy: r > 0.95,
                    NoReference: false,
                    IsReference: false),
                NearestReference = "ref-1",
                ScoredAt = at,
                Embedding = embedding,
            });
        }

        return rows;
    }

    private static ItemScore Entity(Guid runId, int shardId, ItemScoreRow r) => new()
    {
        RunId = runId,
        ShardId = shardId,
        ItemId = r.ItemId,
        ContextId = r.ContextId,
        Predicted = r.Score.Predicted,
        NearestReference = r.NearestReference,
        DIn = r.Score.DIn,
        DOut = double.IsNaN(r.Score.DOut) ? null : r.Score.DOut,
        Ratio = r.Score.Ratio,
        Energy = r.Score.Energy,
        Sisom = r.Score.Sisom,
        Sisome = r.Score.Sisome,
        Msp = r.Score.Baselines.Msp,
        MaxLogit = r.Score.Baselines.MaxLogit,
        Entropy = r.Score.Baselines.Entropy,
        Margin = r.Score.Baselines.Margin,
        OodSisom = r.Score.OodSisom,
        OodSisome = r.Score.OodSisome,
        NoReference = r.Score.NoReference,
        ScoredAt = r.ScoredAt,
        Embedding = r.Embedding is null ? null : new Pgvector.Vector(r.Embedding),
    };
}
