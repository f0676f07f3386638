namespace SisomCluster.Data.Pools;

/// <summary>A named, growing set of items to score (a crawl, a bucket of tar shards, a manifest).</summary>
public sealed class Pool
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>How <see cref="SourceUri"/> is listed: e.g. <c>directory</c>, <c>tar</c>, <c>manifest</c>.</summary>
    public required string SourceKind { get; set; }

    public required string SourceUri { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Maintained by <see cref="ItemRegistry"/> in the transaction that adds the items.</summary>
    public int ItemCount { get; set; }
}
