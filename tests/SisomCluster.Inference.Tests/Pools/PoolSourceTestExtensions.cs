using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>Test shorthands over the streamed <see cref="IPoolSource"/> API.</summary>
internal static class PoolSourceTestExtensions
{
    /// <summary>The whole listing at once.</summary>
    public static Task<PoolListing> ListAllAsync(this IPoolSource source, int shardSize, Action<string>? report = null, CancellationToken cancellationToken = default) =>
        PoolListing.CollectAsync(source.ListAsync(shardSize, report, cancellationToken), cancellationToken);

    /// <summary>Every item of one shard.</summary>
    public static Task<List<PoolItem>> ReadAllAsync(this IPoolSource source, ListedShard shard, CancellationToken cancellationToken = default) =>
        source.ReadAsync(shard.Descriptor, cancellationToken).ToListAsync(cancellationToken).AsTask();

    public static TarShard Tar(this ListedShard shard) => ShardDescription.Parse<TarShard>(shard.Descriptor, TarPoolSource.KindName);

    public static EmbeddingsShard Embeddings(this ListedShard shard) => ShardDescription.Parse<EmbeddingsShard>(shard.Descriptor, EmbeddingsPoolSource.KindName);
}
