using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// One pool item's bytes, for its thumbnail. The bytes are read the way a worker reads them (the pool source, from the item's stored
/// uri), never from a path in the request: the request names an item id, the <c>items</c> row says where it lives, and a
/// uri outside the pool's own directory (directory and tar pools) is refused.
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
    public static ItemBytes ReadItemBytes(Pool pool, Item item)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(item);
        if (!Enum.TryParse(pool.SourceKind, ignoreCase: true, out PoolSourceKind kind) || kind == PoolSourceKind.Embeddings)
        {
            return ItemBytes.None($"pool '{pool.Name}' holds {pool.SourceKind}, not images.");
        }

        if (string.IsNullOrEmpty(item.Uri))
        {
            return ItemBytes.None($"item '{item.ItemId}' has no stored uri.");
        }

        ShardDescriptor? one = Describe(kind, pool, item);
        if (one is null)
        {
            return ItemBytes.None($"item '{item.ItemId}' lies outside pool '{pool.Name}'.");
        }

        PoolItem? read;
        try
        {
            read = PoolSources.Open(kind, pool.SourceUri).Read(one).FirstOrDefault(i => i.Id == item.ItemId);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return ItemBytes.None($"item '{item.ItemId}' cannot be read: {e.Message}");
        }

        if (read is null || read.ErrorCode is not null)
        {
            return ItemBytes.None($"item '{item.ItemId}' cannot be read: {read?.Error ?? "not in its container"}");
        }

        return new ItemBytes(read.Bytes, null);
    }

    /// <summary>The container an item is read from (a tar pool's tar: the part of the uri before <c>#</c>; otherwise the item's own file).</summary>
    public static string ShardOf(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        string uri = item.Uri ?? "";
        int hash = uri.LastIndexOf('#');
        return hash > 0 ? uri[..hash] : uri;
    }

    private static ShardDescriptor? Describe(PoolSourceKind kind, Pool pool, Item item)
    {
        string uri = item.Uri!;
        if (kind == PoolSourceKind.Tar)
        {
            int hash = uri.LastIndexOf('#');
            if (hash <= 0)
            {
                return null;
            }

            string tar = uri[..hash];
            return Inside(pool.SourceUri, tar) && tar.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)
                ? new ShardDescriptor { Kind = kind, Index = 0, ItemCount = 1, FilePath = tar }
                : null;
        }

        if (kind == PoolSourceKind.Directory && !Inside(pool.SourceUri, uri))
        {
            return null;
        }

        // A manifest pool is what its manifest lists, wherever the files lie; the uri still comes only from the items row.
        return new ShardDescriptor { Kind = kind, Index = 0, ItemCount = 1, Items = [new PoolItemInfo(item.ItemId, uri)] };
    }

    /// <summary>Whether <paramref name="path"/> is the pool's file or lies under its directory (the pattern's directory for <c>dir/*.tar</c>).</summary>
    private static bool Inside(string poolUri, string path)
    {
        string full = Path.GetFullPath(path);
        string pool = Path.GetFullPath(poolUri);
        if (string.Equals(full, pool, StringComparison.Ordinal))
        {
            return true;
        }

        string root = Directory.Exists(pool) ? pool : Path.GetDirectoryName(pool) ?? pool;
        return full.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
