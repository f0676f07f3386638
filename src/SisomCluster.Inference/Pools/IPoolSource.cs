namespace SisomCluster.Inference.Pools;

/// <summary>
/// A pool of unlabeled items: listed once by the coordinator (which cuts it into shards), read one
/// shard at a time by workers. Listing and reading agree: <see cref="Read"/> yields exactly the items
/// the listing put in that shard, in the listing's order.
/// </summary>
public interface IPoolSource
{
    PoolSourceKind Kind { get; }

    /// <summary>The pool as the user named it (a path, a manifest, a tar pattern, an .npy file).</summary>
    string Uri { get; }

    /// <summary>
    /// Lists every item and cuts shards of about <paramref name="shardSize"/> items (the Tar source keeps
    /// one tar per shard instead). Malformed input throws <see cref="InvalidDataException"/>;
    /// <paramref name="report"/> receives progress and warnings that do not stop the listing.
    /// </summary>
    PoolListing List(int shardSize, Action<string>? report = null);

    /// <summary>
    /// Streams the items of <paramref name="shard"/>. An item whose file is missing or unreadable is
    /// yielded with <see cref="PoolItem.Error"/> set; a shard whose container (tar, .npy) cannot be read
    /// throws, so that the shard is retried and finally marked failed.
    /// </summary>
    IEnumerable<PoolItem> Read(ShardDescriptor shard);
}
