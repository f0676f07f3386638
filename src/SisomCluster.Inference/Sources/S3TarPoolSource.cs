using System.Runtime.CompilerServices;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// WebDataset tar shards in object storage: <c>s3://bucket/prefix</c> names a folder whose <c>*.tar</c> objects (directly
/// in it, ordinal order) are the shards — the Tar kind's layout, read over the network. Ids are
/// <c>&lt;object name without .tar&gt;/&lt;sample key&gt;</c> as for local tars; an item's uri is
/// <c>s3://bucket/prefix/name.tar#member</c>. One shard per object. Listing walks each tar (headers only; the bytes
/// between them still cross the network, as for any forward-only read); reading streams the object through a bounded
/// read-ahead (<see cref="S3ObjectStream"/>), resumed by range when the connection drops, pinned to the ETag listed.
/// A folder holding a <c>.parquet</c> beside each <c>.tar</c> is the img2dataset kind instead.
/// </summary>
public sealed class S3TarPoolSource : IPoolSource
{
    /// <summary>The registered kind name.</summary>
    public const string KindName = "s3";

    private readonly S3ShardStore _store;

    public S3TarPoolSource(string uri, PoolContext context)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(context);
        Uri = uri;
        _store = new S3ShardStore(context.S3, S3Uri.Parse(uri));
    }

    public string Kind => KindName;

    public string Uri { get; }

    public string Location => _store.Location;

    public bool HoldsImages => true;

    /// <summary>Detection: any s3:// uri (after img2dataset, which looks for parquet files first).</summary>
    public static bool Claims(string uri) => S3Uri.IsS3(uri);

    public async IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        List<StoredObject> tars = [.. (await _store.ListAsync(cancellationToken).ConfigureAwait(false)).Where(o => o.Name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))];
        if (tars.Count == 0)
        {
            throw new FileNotFoundException($"{Location}: no .tar objects in this folder.", Location);
        }

        int index = 0;
        for (int t = 0; t < tars.Count; t++)
        {
            StoredObject tar = tars[t];
            StoredObject? next = t + 1 < tars.Count ? tars[t + 1] : null;
            string stem = Path.GetFileNameWithoutExtension(tar.Name);
            string uri = _store.UriOf(tar.Name);
            var items = new List<PoolItemInfo>();
            var duplicates = new List<PoolDuplicate>();
            Stream stream = await _store.OpenAsync(tar, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await foreach (TarSample sample in TarSamples.ReadAsync(stream, tar.Name, withImages: false, d => duplicates.Add(d with { Id = $"{stem}/{d.Id}" }), report, cancellationToken).ConfigureAwait(false))
                {
                    items.Add(new PoolItemInfo($"{stem}/{sample.Key}", $"{uri}#{sample.ImageMember}", sample.Source, sample.CapturedAt));
                }
            }

            string json = new StoredTarShard
            {
                Kind = Kind,
                Index = index,
                ItemCount = items.Count,
                Object = tar.Name,
                Size = tar.Size,
                Etag = tar.ETag,
                NextObject = next?.Name,
                NextSize = next?.Size ?? 0,
                NextEtag = next?.ETag,
            }.ToJson();
            report?.Invoke($"{tar.Name}: {items.Count} samples");
            yield return new ListedShard(index++, items.Count, json, items, duplicates);
        }
    }

    public async IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StoredTarShard shard = ShardDescription.Parse<StoredTarShard>(descriptor, Kind);
        StoredObject tar = StoredTars.ShardObject(_store, shard);
        string stem = Path.GetFileNameWithoutExtension(tar.Name);
        Stream stream = await _store.OpenAsync(tar, cancellationToken).ConfigureAwait(false);

        // The listing's next tar is most often this worker's next shard: its GET starts now, into a bounded read-ahead.
        if (NextTar(shard) is { } next)
        {
            _store.Prefetch(next);
        }

        await using (stream.ConfigureAwait(false))
        {
            await foreach (TarSample sample in TarSamples.ReadAsync(stream, tar.Name, withImages: true, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                yield return new PoolItem
                {
                    Id = $"{stem}/{sample.Key}",
                    Bytes = sample.Image,
                    Source = sample.Source,
                    CapturedAt = sample.CapturedAt,
                    ErrorCode = sample.Error is null ? null : PoolItem.UnreadableCode,
                    Error = sample.Error,
                };
            }
        }
    }

    /// <summary>The next tar a descriptor names, when it is a <c>.tar</c> directly in the pool's folder (else none: nothing is prefetched).</summary>
    private StoredObject? NextTar(StoredTarShard shard) =>
        shard.NextObject is { } name && name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) && _store.NameOf(_store.UriOf(name)) == name
            ? new StoredObject(name, shard.NextSize, shard.NextEtag)
            : null;

    /// <summary>Reads member <c>m</c> of <c>s3://…/name.tar#m</c>, where the object must lie directly in the pool's folder.</summary>
    public Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default) =>
        StoredTars.ReadOneAsync(_store, id, uri, byKey: false, cancellationToken);
}
