using Microsoft.EntityFrameworkCore;
using SisomCluster.Core.Selection;
using SisomCluster.Data;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Scoring;

/// <summary>
/// What a worker's shard commit aggregates for a run (<see cref="ShardAggregateSpec"/>), decided from the run and its
/// scoring context before anything is scored: candidates past the product's default selection filter (the run's OOD flag
/// and the guarded gates, <see cref="SelectionPolicy.Guarded"/>), the shard's share of the run's budget × factor of them
/// (<see cref="ShardAggregateSpec.PerShardCandidates"/>), and histogram bins whose width
/// follows each score's threshold. The finaliser merges the candidates only when its own filter is this one
/// (<see cref="ShardAggregateSpec.Filter"/>); an aggregator configured otherwise scans instead.
/// </summary>
public static class ShardAggregation
{
    /// <param name="drift">Where the drift buckets read each item's source and capture time (<see cref="DriftForAsync"/>).</param>
    /// <param name="shards">The run's shard count: each shard keeps its share of the finaliser's candidates (<see cref="ShardAggregateSpec.PerShardCandidates"/>).</param>
    public static ShardAggregateSpec Spec(Run run, LoadedContext context, DriftLookup drift, int shards)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(context);
        Core.Scoring.ScoringContext scoring = context.Scoring;

        // A context whose gates cannot be computed (Core refuses: no reference features for the gate's score) still gets
        // its drift and histograms; its candidates are kept under the flag alone, which the guarded finaliser will not
        // merge (another filter text): it scans, as before the aggregates. Scoring must not fail over the aggregates.
        IReadOnlyList<OodGate> gates;
        try
        {
            gates = context.GuardedGates;
        }
        catch (ArgumentException)
        {
            gates = [];
        }

        return new ShardAggregateSpec
        {
            PoolId = run.PoolId,
            Drift = drift,
            OodScore = run.OodScore,
            ExcludeOod = true,
            Gates = gates,
            CandidateLimit = ShardAggregateSpec.PerShardCandidates(checked(Math.Max(1, run.Budget) * run.CandidateFactor), Math.Max(1, shards)),
            BinWidths = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["sisom"] = ScoreBins.Width(scoring.ThresholdSisom),
                ["sisome"] = ScoreBins.Width(scoring.ThresholdSisome),
                ["knn"] = ScoreBins.Width(scoring.ThresholdKnn),
                ["energy"] = ScoreBins.Width(scoring.ThresholdEnergy),
            },
        };
    }

    /// <summary>
    /// Where a run's drift buckets come from (asked once per run by each worker, <see cref="Worker.WorkerRuntime"/>). The
    /// registry (<c>items</c>) is the definition — the item page, the exports and the finaliser's full scan read it — so the
    /// rows may stand in for it only where they cannot differ. A stored-embeddings pool's listing has no source or capture
    /// time, and the product writes the registry only from listings (pool registration, an incremental run's new items),
    /// so both are null for every item, registered or not (an item the registry lacks counts as <c>(none)</c> at its
    /// scoring hour either way); rows are used when the registry confirms that no item of the pool has either (items given
    /// a source by other means, as some tests and operators do, keep the registry's definition). An image pool's metadata
    /// (a tar's JSON, a manifest's or a parquet's columns) may have changed since the pool was registered — the registry
    /// keeps the first value it was given — and a non-incremental run over a grown pool scores items the registry lacks:
    /// those pools read <c>items</c>, one query per shard (their shards are bound by inference, not by this query).
    /// </summary>
    /// <remarks>
    /// The check is one probe of the partial index of described items (<c>ix_items_pool_id</c>, migration
    /// ItemsDescribedIndex): before it, a stored-embeddings pool (none described) had all its <c>items</c> read, once per
    /// run and worker (10⁶ items: ~0.2 s of PostgreSQL's CPU at each run's start).
    /// </remarks>
    public static async Task<DriftLookup> DriftForAsync(SisomDbContext db, Data.Pools.Pool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(pool);
        if (!string.Equals(pool.SourceKind, EmbeddingsPoolSource.KindName, StringComparison.Ordinal))
        {
            return DriftLookup.Registry;
        }

        bool described = await db.Items.AnyAsync(i => i.PoolId == pool.Id && (i.Source != null || i.CapturedAt != null), cancellationToken).ConfigureAwait(false);
        return described ? DriftLookup.Registry : DriftLookup.Rows;
    }
}
