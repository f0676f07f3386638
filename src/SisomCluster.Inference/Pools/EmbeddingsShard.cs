namespace SisomCluster.Inference.Pools;

/// <summary>An Embeddings shard: rows [<see cref="Start"/>, <see cref="End"/>) of an .npy file and the matching lines of its ids file.</summary>
internal sealed record EmbeddingsShard : ShardDescription
{
    /// <summary>The .npy file.</summary>
    public string? FilePath { get; init; }

    /// <summary>The ids file (one id per row of the .npy).</summary>
    public string? IdsPath { get; init; }

    /// <summary>Byte offset of line <see cref="Start"/> in the ids file, so a worker seeks instead of scanning.</summary>
    public long? IdsOffset { get; init; }

    /// <summary>First row (inclusive).</summary>
    public long? Start { get; init; }

    /// <summary>Last row (exclusive).</summary>
    public long? End { get; init; }

    /// <summary>Rows in the range whose id repeats an earlier row's; not read.</summary>
    public IReadOnlyList<long>? SkippedRows { get; init; }

    protected override string? Missing() =>
        FilePath is null || IdsPath is null || IdsOffset is null || Start is null || End is null ? "file_path, ids_path, ids_offset, start or end" : null;
}
