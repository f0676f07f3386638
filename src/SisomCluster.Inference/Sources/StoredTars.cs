using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>What the s3 and img2dataset kinds share: item uris <c>&lt;tar uri&gt;#&lt;member or key&gt;</c> and reading one item by it.</summary>
internal static class StoredTars
{
    /// <summary>Splits <c>container#member</c>; null when there is no '#' with text on both sides.</summary>
    public static (string Container, string Member)? Split(string uri)
    {
        int hash = uri.LastIndexOf('#');
        return hash <= 0 || hash == uri.Length - 1 ? null : (uri[..hash], uri[(hash + 1)..]);
    }

    /// <summary>
    /// Reads one item of a tar in <paramref name="store"/>: the container must be a <c>.tar</c> directly in the store's
    /// folder (else <see cref="PoolItem.OutsideCode"/>, nothing opened); a missing object is <see cref="PoolItem.MissingCode"/>,
    /// a failed read <see cref="PoolItem.UnreadableCode"/> with the reason.
    /// </summary>
    public static async Task<PoolItem> ReadOneAsync(IShardStore store, string id, string uri, bool byKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (Split(uri) is not { } parts || store.NameOf(parts.Container) is not { } name || !name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
        {
            return FileItems.Outside(id, uri);
        }

        try
        {
            StoredObject stored = await store.StatAsync(name, cancellationToken).ConfigureAwait(false);
            Stream stream = await store.OpenAsync(stored, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                (byte[]? Bytes, string? Error)? read = byKey
                    ? await TarSamples.ReadSampleImageAsync(stream, name, parts.Member, cancellationToken).ConfigureAwait(false)
                    : await TarSamples.ReadMemberAsync(stream, name, parts.Member, cancellationToken).ConfigureAwait(false);
                return read switch
                {
                    null => new PoolItem { Id = id, ErrorCode = PoolItem.MissingCode, Error = $"{uri}: no such member" },
                    { Error: { } error } => new PoolItem { Id = id, ErrorCode = PoolItem.UnreadableCode, Error = error },
                    { Bytes: var bytes } => new PoolItem { Id = id, Bytes = bytes },
                };
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new PoolItem { Id = id, ErrorCode = PoolItem.MissingCode, Error = e.Message };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new PoolItem { Id = id, ErrorCode = PoolItem.UnreadableCode, Error = e.Message };
        }
    }

    /// <summary>The listed object of a shard, checked to be a <c>.tar</c> directly in the store (a descriptor naming another object fails its shard).</summary>
    public static StoredObject ShardObject(IShardStore store, StoredTarShard shard)
    {
        string name = shard.Object!;
        if (!name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || store.NameOf(store.UriOf(name)) != name)
        {
            throw new InvalidDataException($"shard {shard.Index}: its tar does not lie in the pool.");
        }

        return new StoredObject(name, shard.Size, shard.Etag);
    }
}
