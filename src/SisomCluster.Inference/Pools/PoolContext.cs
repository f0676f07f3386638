using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// What opening a pool needs besides its kind and uri: the object store s3:// pools are read from and the img2dataset
/// column mapping. The server builds one from its <c>S3__*</c> and <c>Pools__*</c> settings; a process without them uses
/// <see cref="Default"/> (the <c>S3__*</c> environment variables, default columns).
/// </summary>
public sealed record PoolContext(S3Store S3, Img2DatasetColumns Img2Dataset)
{
    private static readonly Lazy<PoolContext> FromEnvironment = new(() => new PoolContext(S3Store.Default, Img2DatasetColumns.Default));

    public static PoolContext Default => FromEnvironment.Value;

    /// <summary>The shard store for <paramref name="uri"/>: an s3:// prefix, or a directory.</summary>
    internal IShardStore StoreFor(string uri) => S3Uri.IsS3(uri) ? new S3ShardStore(S3, S3Uri.Parse(uri)) : new FolderShardStore(uri);
}
