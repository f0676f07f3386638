namespace SisomCluster.Inference.Pools;

/// <summary>
/// A pool of unlabeled items: listed once by the coordinator (which cuts it into shards), read one shard at a time by
/// workers. Listing and reading agree: <see cref="ReadAsync"/> yields exactly the items the listing put in that shard, in
/// the listing's order. Both stream: a shard's items are read one at a time from the container (no whole-shard buffer),
/// and an item's bytes are capped at <see cref="PoolItem.MaxBytes"/>. A shard's descriptor is this source's own JSON:
/// callers store and pass it, never look inside it (see <see cref="PoolSources"/> for the one generic field).
/// </summary>
public interface IPoolSource
{
    /// <summary>The registered kind name (<c>tar</c>, <c>directory</c>, ...), as the <c>pools</c> row stores it.</summary>
    string Kind { get; }

    /// <summary>The pool as the user named it (a path, a manifest, a tar pattern, an .npy file).</summary>
    string Uri { get; }

    /// <summary>
    /// The absolute path all of this pool's reading starts from (a directory, a manifest, a tar file or the folder of a
    /// tar pattern, an .npy file): what <see cref="PoolSources.Open(string, string, PoolRoots)"/> checks against the
    /// allowed roots, and where an s3 kind would give its bucket.
    /// </summary>
    string Location { get; }

    /// <summary>Whether items are encoded images (a model is needed) rather than stored embeddings.</summary>
    bool HoldsImages { get; }

    /// <summary>
    /// Lists every item, shard by shard, cutting shards of about <paramref name="shardSize"/> items (the Tar source keeps
    /// one tar per shard instead). Malformed input throws <see cref="InvalidDataException"/>; <paramref name="report"/>
    /// receives progress and warnings that do not stop the listing.
    /// </summary>
    IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the items of the shard <paramref name="descriptor"/> (a <see cref="ListedShard.Descriptor"/>). An item whose
    /// file is missing, unreadable or over <see cref="PoolItem.MaxBytes"/> is yielded with <see cref="PoolItem.Error"/>
    /// set; a shard whose container (tar, .npy) cannot be read throws, so that the shard is retried and finally marked
    /// failed. A descriptor of another kind is an <see cref="ArgumentException"/>; a malformed one an
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, CancellationToken cancellationToken = default);

    /// <summary>
    /// The ids <see cref="ReadAsync"/> would yield for <paramref name="descriptor"/>, in order, told without reading any item's
    /// bytes where the source can (a descriptor that lists its items; a tar's headers, its data skipped); null where it would
    /// take reading the items. A worker that re-scores stored embeddings asks this to leave a fully covered shard unread.
    /// </summary>
    Task<IReadOnlyList<string>?> ItemIdsAsync(string descriptor, CancellationToken cancellationToken = default) =>
        Task.FromResult(PoolSources.ListedItemIds(descriptor));

    /// <summary>
    /// Reads one item by its id and the uri the listing recorded for it (<see cref="PoolItemInfo.Uri"/>), touching only that
    /// item's bytes (a tar member is found by walking headers, its predecessors' data skipped). A uri that does not lie in
    /// this pool is refused: the item comes back with <see cref="PoolItem.OutsideCode"/>. Source and capture time are not
    /// read (the <c>items</c> row has them).
    /// </summary>
    Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default);
}
