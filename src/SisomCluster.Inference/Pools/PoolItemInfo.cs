namespace SisomCluster.Inference.Pools;

/// <summary>
/// One item of a pool as the coordinator lists it (a row of the <c>items</c> table): no bytes, only where
/// they are. <paramref name="Uri"/> is a file path, <c>tarpath#member</c> or <c>npypath#row</c>.
/// </summary>
/// <param name="Id">Stable across listings of the same pool: results are keyed by it.</param>
/// <param name="Uri">Where the item's bytes (or embedding row) are.</param>
/// <param name="Source">A crawl or source name when the pool says one (drift is tracked per source).</param>
/// <param name="CapturedAt">When the item was captured, when the pool says it (drift is tracked over time).</param>
public sealed record PoolItemInfo(string Id, string Uri, string? Source = null, DateTimeOffset? CapturedAt = null);
