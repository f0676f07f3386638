namespace SisomCluster.Inference.Pools;

/// <summary>
/// One item of a shard as a worker reads it: encoded image bytes, or an embedding for the Embeddings
/// source, or an <see cref="Error"/> when its file could not be read. A bad file is an item, not an
/// exception, so that it becomes an <c>item_errors</c> row and the rest of the shard is still scored.
/// </summary>
public sealed record PoolItem
{
    /// <summary>The file named by the item does not exist.</summary>
    public const string MissingCode = "missing";

    /// <summary>The file exists but could not be read (permissions, I/O error, a directory in its place, over <see cref="MaxBytes"/>).</summary>
    public const string UnreadableCode = "unreadable";

    /// <summary>A uri asked of <see cref="IPoolSource.ReadOneAsync"/> that does not lie in the pool; nothing was read.</summary>
    public const string OutsideCode = "outside_pool";

    /// <summary>
    /// The most bytes one item may have (64 MiB). An item's bytes are held whole (the decoder needs them), so this caps
    /// what one item costs a worker: no encoded image is that large, and a batch of them must fit next to the model.
    /// A larger item is yielded as <see cref="UnreadableCode"/> without being read.
    /// </summary>
    public const long MaxBytes = 64L << 20;

    public required string Id { get; init; }

    /// <summary>Encoded image bytes (empty for an embedding or a failed item).</summary>
    public ReadOnlyMemory<byte> Bytes { get; init; }

    /// <summary>The stored embedding row, for the Embeddings source; null otherwise.</summary>
    public float[]? Embedding { get; init; }

    public string? Source { get; init; }

    public DateTimeOffset? CapturedAt { get; init; }

    /// <summary><see cref="MissingCode"/> or <see cref="UnreadableCode"/> when the item failed; null otherwise.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Why the item could not be read, naming the file; null when it was read.</summary>
    public string? Error { get; init; }
}
