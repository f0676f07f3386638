namespace SisomCluster.Inference.Pools;

/// <summary>A Tar shard: one tar file, read from its start.</summary>
internal sealed record TarShard : ShardDescription
{
    public string? FilePath { get; init; }

    protected override string? Missing() => FilePath is null ? "file_path" : null;
}
