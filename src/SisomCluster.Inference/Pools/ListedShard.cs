namespace SisomCluster.Inference.Pools;

/// <summary>
/// One shard as listing produces it: its place and size (the <c>shards</c> row), the source's own descriptor (opaque JSON,
/// stored and handed back to <see cref="IPoolSource.ReadAsync"/>), the items it covers and the ids met again while
/// listing it.
/// </summary>
/// <param name="Index">Position of the shard in its listing (0-based).</param>
/// <param name="ItemCount">How many items reading the shard yields (duplicates excluded).</param>
/// <param name="Descriptor">The source's description of the shard, JSON small enough for a row and a message.</param>
/// <param name="Items">The shard's items, in reading order.</param>
/// <param name="Duplicates">Ids repeated within (or into) this shard; skipped.</param>
public sealed record ListedShard(int Index, int ItemCount, string Descriptor, IReadOnlyList<PoolItemInfo> Items, IReadOnlyList<PoolDuplicate> Duplicates);
