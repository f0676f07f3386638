using SisomCluster.Core.Scoring;

namespace SisomCluster.Data.Results;

/// <summary>
/// One scored item as the worker hands it to <see cref="ShardResultWriter"/>; run and shard come from the commit call.
/// The scores are Core's result unchanged; <see cref="ItemScoreColumns"/> says which column each one lands in.
/// </summary>
public sealed record ItemScoreRow
{
    public required string ItemId { get; init; }

    public required Guid ContextId { get; init; }

    /// <summary>Every score Core computed for the item (d_out NaN when undefined: stored as NULL).</summary>
    public required SisomItemScore Score { get; init; }

    /// <summary>The item id of the nearest reference (<see cref="SisomItemScore.NearestReference"/> is its index in the context).</summary>
    public string? NearestReference { get; init; }

    public required DateTimeOffset ScoredAt { get; init; }

    /// <summary>
    /// The item's source as the pool source read it (<c>PoolItem.Source</c>): the shard's drift buckets use it when the
    /// commit's <see cref="Aggregates.ShardAggregateSpec.Drift"/> is <see cref="Aggregates.DriftLookup.Rows"/>; not stored.
    /// </summary>
    public string? Source { get; init; }

    /// <summary>The item's capture time as the pool source read it (<c>PoolItem.CapturedAt</c>); see <see cref="Source"/>.</summary>
    public DateTimeOffset? CapturedAt { get; init; }

    /// <summary>The feature vector h, when the run stores embeddings (for re-scoring without the backbone, ARCHITECTURE.md §4).</summary>
    public float[]? Embedding { get; init; }
}
