namespace SisomCluster.Inference.Pools;

/// <summary>
/// A whole listing held at once (registration, tests): every item in a stable order, the shards that cover them (each
/// item in exactly one shard), and the ids that were met more than once. Streaming callers (the coordinator) take
/// <see cref="IPoolSource.ListAsync"/> shard by shard instead.
/// </summary>
public sealed record PoolListing(
    IReadOnlyList<PoolItemInfo> Items,
    IReadOnlyList<ListedShard> Shards,
    IReadOnlyList<PoolDuplicate> Duplicates)
{
    /// <summary>Collects a streamed listing.</summary>
    public static async Task<PoolListing> CollectAsync(IAsyncEnumerable<ListedShard> shards, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var items = new List<PoolItemInfo>();
        var listed = new List<ListedShard>();
        var duplicates = new List<PoolDuplicate>();
        await foreach (ListedShard shard in shards.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            items.AddRange(shard.Items);
            duplicates.AddRange(shard.Duplicates);
            listed.Add(shard);
        }

        return new PoolListing(items, listed, duplicates);
    }
}
