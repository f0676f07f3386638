namespace SisomCluster.Inference.Pools;

/// <summary>A Directory or Manifest shard: its items, listed in the descriptor itself (id, uri, source, captured_at).</summary>
internal sealed record FileListShard : ShardDescription
{
    public IReadOnlyList<PoolItemInfo>? Items { get; init; }

    /// <summary>The allowed roots (real paths) the pool was listed under; absent when the lister was unconfined.</summary>
    public IReadOnlyList<string>? AllowedRoots { get; init; }

    protected override string? Missing() => Items is null ? "items" : null;
}
