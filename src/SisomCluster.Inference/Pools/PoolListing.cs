namespace SisomCluster.Inference.Pools;

/// <summary>
/// What the coordinator gets from listing a pool once: every item in a stable order, the shards that
/// cover them (each item in exactly one shard), and the ids that were met more than once.
/// </summary>
public sealed record PoolListing(
    IReadOnlyList<PoolItemInfo> Items,
    IReadOnlyList<ShardDescriptor> Shards,
    IReadOnlyList<PoolDuplicate> Duplicates);
