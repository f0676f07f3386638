namespace SisomCluster.Inference.Pools;

/// <summary>
/// An id met again while listing a pool. The first occurrence is the item; this one is reported and
/// skipped, so no id is scored twice.
/// </summary>
/// <param name="Id">The repeated id.</param>
/// <param name="Location">Where the repeat is: <c>line 12</c>, <c>shard-0003.tar: 00042.jpg</c>, <c>ids.txt line 7</c>.</param>
public sealed record PoolDuplicate(string Id, string Location);
