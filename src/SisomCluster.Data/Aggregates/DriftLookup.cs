namespace SisomCluster.Data.Aggregates;

/// <summary>
/// Where a shard commit's drift buckets (<see cref="ShardDriftCount"/>) find each item's source and capture time. The
/// buckets are the same either way as long as the rows say what <c>items</c> says: the registry is the definition (the
/// item page, the exports and the finaliser's full scan read it).
/// </summary>
public enum DriftLookup
{
    /// <summary>
    /// Counted in PostgreSQL against <c>items</c>, one statement per shard with one primary-key probe per item (~4 µs each
    /// on this machine, load 44; a set-based <c>item_id = ANY(…)</c> read the table sequentially and was slower): for pools
    /// whose rows cannot vouch for the registry's values (a tar's or a manifest's metadata may have changed since the pool
    /// was registered; an item the registry lacks counts as <c>(none)</c> at its scoring hour).
    /// </summary>
    Registry,

    /// <summary>
    /// The rows carry them (<see cref="Results.ItemScoreRow.Source"/>, <see cref="Results.ItemScoreRow.CapturedAt"/>) and
    /// the caller vouches that they equal the registry's: grouped in memory as the rows come, no query of <c>items</c>.
    /// </summary>
    Rows,
}
