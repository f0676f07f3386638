using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Pools;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// One pool item's bytes, for its thumbnail. The bytes are read the way a worker reads them (the pool source, from the item's stored
/// uri), never from a path in the request: the request names an item id, the <c>items</c> row says where it lives, and the
/// source refuses a uri outside its pool (<see cref="IPoolSource.ReadOneAsync"/>).
/// </summary>
internal static class ThumbnailReader
{
    public const int DefaultSize = 128;

    public const int MaxSize = 512;

    /// <summary>
    /// The bytes of one pool item, read as a worker reads them. This is the only place the api role reads item bytes;
    /// <see cref="ThumbnailCache"/> calls it and renders with <see cref="ThumbnailRenderer"/>.
    /// </summary>
    /// <returns>The bytes, or a one-line reason (<see cref="ItemBytes.Problem"/>) why there are none.</returns>
    public static async Task<ItemBytes> ReadItemBytesAsync(PoolAccess pools, Pool pool, Item item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(item);
        IPoolSource? source;
        try
        {
            source = PoolSources.IsKind(pool.SourceKind) ? pools.Open(pool.SourceKind, pool.SourceUri) : null;
        }
        catch (PoolOutsideRootsException)
        {
            // Registered before Pools__AllowedRoots was set (or changed): nothing of it is read.
            return ItemBytes.None($"pool '{pool.Name}' lies outside the folders this server allows pools in.");
        }

        if (source is not { HoldsImages: true })
        {
            return ItemBytes.None($"pool '{pool.Name}' holds {pool.SourceKind}, not images.");
        }

        if (string.IsNullOrEmpty(item.Uri))
        {
            return ItemBytes.None($"item '{item.ItemId}' has no stored uri.");
        }

        PoolItem read;
        try
        {
            read = await source.ReadOneAsync(item.ItemId, item.Uri, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // The exception's message may carry a server path: the answer says only that there are no bytes.
            return ItemBytes.None($"item '{item.ItemId}' is not readable.");
        }

        // Outside is decided before anything is opened, so its answer is the same whether the file exists or not; the
        // other reasons (missing, unreadable, too large) name no path either.
        return read.ErrorCode switch
        {
            PoolItem.OutsideCode => ItemBytes.None($"item '{item.ItemId}' lies outside pool '{pool.Name}'."),
            null => new ItemBytes(read.Bytes, null),
            _ => ItemBytes.None($"item '{item.ItemId}' is not readable."),
        };
    }

    /// <summary>The container an item is read from (a tar pool's tar: the part of the uri before <c>#</c>; otherwise the item's own file).</summary>
    public static string ShardOf(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        string uri = item.Uri ?? "";
        int hash = uri.LastIndexOf('#');
        return hash > 0 ? uri[..hash] : uri;
    }
}
