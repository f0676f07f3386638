namespace SisomCluster.Data.Aggregates;

/// <summary>
/// One committed shard's partial aggregates (ARCHITECTURE.md §6, "Per-shard aggregates"): written by the shard's commit in
/// the same transaction that marks it done, so a shard has one row exactly when it is done with its results, and the
/// primary key (run, shard) refuses a second. The finaliser and the drift/histogram endpoints merge these rows instead of
/// scanning <c>item_scores</c>.
/// </summary>
public sealed class ShardAggregate
{
    public Guid RunId { get; set; }

    public int ShardId { get; set; }

    /// <summary>
    /// The selection filter the candidates passed (<see cref="ShardAggregateSpec.Filter"/>): the finaliser merges them only
    /// when its own filter is the same text, and scans otherwise.
    /// </summary>
    public required string CandidateFilter { get; set; }

    /// <summary>The candidates the commit aimed to keep (budget × factor, plus one per reference item met).</summary>
    public int CandidateLimit { get; set; }

    /// <summary>
    /// The best-ranked eligible item the commit did not keep (its SISOM): every item of the shard not among the candidates
    /// ranks at or below it. Null when every eligible item was kept.
    /// </summary>
    public double? BoundarySisom { get; set; }

    /// <summary>The item id of <see cref="BoundarySisom"/>'s item (diagnostic).</summary>
    public string? BoundaryItemId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
