namespace SisomCluster.Inference.Pools;

/// <summary>What the Directory and Manifest sources share: items that are plain files, listed in the shard itself.</summary>
internal static class FileItems
{
    /// <summary>Consecutive runs of <paramref name="shardSize"/> items, in listing order.</summary>
    public static List<ShardDescriptor> Cut(PoolSourceKind kind, IReadOnlyList<PoolItemInfo> items, int shardSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        var shards = new List<ShardDescriptor>((items.Count + shardSize - 1) / shardSize);
        for (int start = 0; start < items.Count; start += shardSize)
        {
            int count = Math.Min(shardSize, items.Count - start);
            var slice = new PoolItemInfo[count];
            for (int i = 0; i < count; i++)
            {
                slice[i] = items[start + i];
            }

            shards.Add(new ShardDescriptor { Kind = kind, Index = shards.Count, ItemCount = count, Items = slice });
        }

        return shards;
    }

    public static IEnumerable<PoolItem> Read(PoolSourceKind kind, ShardDescriptor shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Kind != kind || shard.Items is null)
        {
            throw new ArgumentException($"A {kind} source cannot read a {shard.Kind} shard.", nameof(shard));
        }

        return ReadItems(shard.Items);
    }

    private static IEnumerable<PoolItem> ReadItems(IReadOnlyList<PoolItemInfo> items)
    {
        foreach (PoolItemInfo info in items)
        {
            yield return ReadOne(info);
        }
    }

    private static PoolItem ReadOne(PoolItemInfo info)
    {
        try
        {
            return new PoolItem { Id = info.Id, Bytes = File.ReadAllBytes(info.Uri), Source = info.Source, CapturedAt = info.CapturedAt };
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Failed(info, PoolItem.MissingCode, $"{info.Uri}: no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            // A directory in the file's place, a permission problem, a path the OS rejects: the item
            // fails, the shard goes on.
            return Failed(info, PoolItem.UnreadableCode, $"{info.Uri}: {e.Message}");
        }
    }

    private static PoolItem Failed(PoolItemInfo info, string code, string error) =>
        new() { Id = info.Id, Source = info.Source, CapturedAt = info.CapturedAt, ErrorCode = code, Error = error };
}
