namespace SisomCluster.Inference.Pools;

/// <summary>
/// An s3 or img2dataset shard: one tar object of the pool's folder, of the size and version (ETag) it had when listed,
/// and for img2dataset the parquet beside it that names the shard's items.
/// </summary>
internal sealed record StoredTarShard : ShardDescription
{
    public string? Object { get; init; }

    public long Size { get; init; }

    public string? Etag { get; init; }

    public string? Parquet { get; init; }

    public long ParquetSize { get; init; }

    public string? ParquetEtag { get; init; }

    /// <summary>The s3 kind: the listing's next tar (name, size, ETag), which a worker starts fetching while it scores this one.</summary>
    public string? NextObject { get; init; }

    public long NextSize { get; init; }

    public string? NextEtag { get; init; }

    protected override string? Missing() => Object is null ? "object" : null;
}
