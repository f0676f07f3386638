using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// What opening a pool needs besides its kind and uri: the object store s3:// pools are read from, the img2dataset
/// column mapping and the hosts http(s) manifest items may be fetched from. The server builds one from its <c>S3__*</c> and <c>Pools__*</c> settings; a process without them uses
/// <see cref="Default"/> (the <c>S3__*</c> environment variables, default columns).
/// </summary>
/// <param name="Http">How http(s) manifest items are fetched; null allows no host (<see cref="HttpItemReader.DenyAll"/>).</param>
public sealed record PoolContext(S3Store S3, Img2DatasetColumns Img2Dataset, HttpItemReader? Http = null)
{
    /// <summary>The http(s) item reader: <see cref="Http"/>, or one that allows no host.</summary>
    public HttpItemReader HttpItems => Http ?? HttpItemReader.DenyAll;

    private static readonly Lazy<PoolContext> FromEnvironment = new(() => new PoolContext(S3Store.Default, Img2DatasetColumns.Default));

    public static PoolContext Default => FromEnvironment.Value;

    /// <summary>The shard store for <paramref name="uri"/>: an s3:// prefix, or a directory.</summary>
    internal IShardStore StoreFor(string uri) => S3Uri.IsS3(uri) ? new S3ShardStore(S3, S3Uri.Parse(uri)) : new FolderShardStore(uri);
}
