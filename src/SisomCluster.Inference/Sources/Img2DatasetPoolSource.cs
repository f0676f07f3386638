using System.Globalization;
using System.Runtime.CompilerServices;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// A crawl as img2dataset writes it (<c>--output_format webdataset</c>): per shard <c>NNNNN.tar</c> (members
/// <c>key.jpg</c>, <c>key.json</c>, <c>key.txt</c>) and <c>NNNNN.parquet</c> (one row per url tried: <c>url</c>,
/// <c>key</c>, <c>status</c>, <c>error_message</c>, <c>caption</c>, <c>width</c>, <c>height</c>, …), plus
/// <c>NNNNN_stats.json</c>, in a directory or under an <c>s3://bucket/prefix</c>.
/// <para>
/// The parquet is the listing: its <c>success</c> rows are the items (id = the img2dataset key, unique across the crawl
/// because it starts with the shard number), every other row is counted by status and reported, not scored — the crawl
/// never fetched its image. Listing reads only the parquet files, never a tar. Source and capture time come from the
/// configured columns (<see cref="Img2DatasetColumns"/>; by default the url's host and <c>captured_at</c>). One shard per
/// tar. Reading streams the tar (from S3 through the bounded read-ahead) and yields each listed key's first image; a
/// listed key the tar lacks comes back as a <see cref="PoolItem.MissingCode"/> item naming the tar, so nothing listed is
/// lost, and tar samples the parquet does not list as downloaded are skipped.
/// </para>
/// <para>An item's uri is <c>&lt;tar uri&gt;#&lt;key&gt;</c>.</para>
/// </summary>
public sealed class Img2DatasetPoolSource : IPoolSource
{
    /// <summary>The registered kind name.</summary>
    public const string KindName = "img2dataset";

    private readonly IShardStore _store;
    private readonly Img2DatasetColumns _columns;

    public Img2DatasetPoolSource(string uri, PoolContext context)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(context);
        Uri = uri;
        _store = context.StoreFor(uri);
        _columns = context.Img2Dataset;
    }

    public string Kind => KindName;

    public string Uri { get; }

    public string Location => _store.Location;

    public bool HoldsImages => true;

    /// <summary>
    /// Detection: a directory, or an s3:// prefix (listed once, asynchronously), holding a <c>.parquet</c> and a
    /// <c>.tar</c> of the same stem directly in it.
    /// </summary>
    public static async Task<bool> ClaimsAsync(string uri, PoolContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!S3Uri.IsS3(uri) && !Directory.Exists(uri))
        {
            return false;
        }

        try
        {
            return HasPair(await context.StoreFor(uri).ListAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Not this kind's to answer: the kind that claims it next (s3, directory) reports the problem when it lists.
            return false;
        }
    }

    /// <summary>Detection of a directory on this machine (no object store, nothing to wait for); an s3:// uri takes <see cref="ClaimsAsync"/>.</summary>
    public static bool Claims(string uri)
    {
        if (S3Uri.IsS3(uri) || !Directory.Exists(uri))
        {
            return false;
        }

        try
        {
            return HasPair(new FolderShardStore(uri).List());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="uri"/> names an existing directory or is an s3:// uri (the store answers for itself when listed).</summary>
    public static bool Names(string uri) => S3Uri.IsS3(uri) || Directory.Exists(uri);

    public async IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        IReadOnlyList<StoredObject> objects = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        var shards = Pairs(objects).ToList();
        if (!shards.Any(s => s.Parquet is not null))
        {
            throw new FileNotFoundException($"{Location}: no img2dataset shards (NNNNN.parquet beside NNNNN.tar) in this folder.", Location);
        }

        var firstShard = new Dictionary<string, string>(StringComparer.Ordinal);
        var notDownloaded = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        foreach ((string stem, StoredObject? tar, StoredObject? parquet) in shards)
        {
            if (parquet is null)
            {
                report?.Invoke($"{tar!.Name}: no {stem}.parquet beside it; skipped (img2dataset writes both).");
                continue;
            }

            Img2DatasetRows rows = await ReadRowsAsync(parquet, cancellationToken).ConfigureAwait(false);
            if (tar is null && rows.Rows.Count > 0)
            {
                throw new InvalidDataException($"{parquet.Name}: lists {rows.Rows.Count} downloaded images but there is no {stem}.tar beside it.");
            }

            foreach ((string status, int count) in rows.NotDownloaded)
            {
                notDownloaded[status] = notDownloaded.GetValueOrDefault(status) + count;
            }

            if (tar is null)
            {
                continue;
            }

            string tarUri = _store.UriOf(tar.Name);
            var items = new List<PoolItemInfo>(rows.Rows.Count);
            foreach (Img2DatasetRow row in rows.Rows)
            {
                if (!firstShard.TryAdd(row.Key, stem))
                {
                    // The worker reads a shard alone and cannot skip what another shard holds: refuse rather than score twice.
                    throw new InvalidDataException($"{parquet.Name}: key {row.Key} is in {firstShard[row.Key]}.parquet too; img2dataset keys are unique across a crawl.");
                }

                items.Add(new PoolItemInfo(row.Key, $"{tarUri}#{row.Key}", row.Source, row.CapturedAt));
            }

            string json = new StoredTarShard
            {
                Kind = Kind,
                Index = index,
                ItemCount = items.Count,
                Object = tar.Name,
                Size = tar.Size,
                Etag = tar.ETag,
                Parquet = parquet.Name,
                ParquetSize = parquet.Size,
                ParquetEtag = parquet.ETag,
            }.ToJson();
            int skipped = rows.NotDownloaded.Values.Sum();
            report?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{tar.Name}: {items.Count} downloaded images{(skipped > 0 ? $", {skipped} rows not downloaded" : "")}"));
            yield return new ListedShard(index++, items.Count, json, items, rows.Duplicates);
        }

        if (notDownloaded.Count > 0)
        {
            report?.Invoke(NotDownloadedSummary(notDownloaded));
        }
    }

    /// <summary>The line a listing reports for the rows img2dataset did not download: <c>12 rows not downloaded, not scored (failed_to_download: 10, failed_to_resize: 2)</c>.</summary>
    public static string NotDownloadedSummary(IReadOnlyDictionary<string, int> byStatus)
    {
        ArgumentNullException.ThrowIfNull(byStatus);
        string parts = string.Join(", ", byStatus.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Value}")));
        return string.Create(CultureInfo.InvariantCulture, $"{byStatus.Values.Sum()} rows not downloaded, not scored ({parts})");
    }

    public async IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StoredTarShard shard = ShardDescription.Parse<StoredTarShard>(descriptor, Kind);
        StoredObject tar = StoredTars.ShardObject(_store, shard);
        string parquetName = shard.Parquet ?? throw new InvalidDataException($"shard {shard.Index}: an img2dataset shard names its parquet.");
        if (!parquetName.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || _store.NameOf(_store.UriOf(parquetName)) != parquetName)
        {
            throw new InvalidDataException($"shard {shard.Index}: its parquet does not lie in the pool.");
        }

        Img2DatasetRows rows = await ReadRowsAsync(new StoredObject(parquetName, shard.ParquetSize, shard.ParquetEtag), cancellationToken).ConfigureAwait(false);
        var listed = rows.Rows.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var yielded = new HashSet<string>(StringComparer.Ordinal);
        Stream stream = await _store.OpenAsync(tar, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await foreach (TarSample sample in TarSamples.ReadAsync(stream, tar.Name, withImages: true, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (!listed.TryGetValue(sample.Key, out Img2DatasetRow? row) || !yielded.Add(sample.Key))
                {
                    continue;
                }

                yield return new PoolItem
                {
                    Id = row.Key,
                    Bytes = sample.Image,
                    Source = row.Source,
                    CapturedAt = row.CapturedAt,
                    ErrorCode = sample.Error is null ? null : PoolItem.UnreadableCode,
                    Error = sample.Error,
                };
            }
        }

        foreach (Img2DatasetRow row in rows.Rows.Where(r => !yielded.Contains(r.Key)))
        {
            yield return new PoolItem
            {
                Id = row.Key,
                Source = row.Source,
                CapturedAt = row.CapturedAt,
                ErrorCode = PoolItem.MissingCode,
                Error = $"{_store.UriOf(tar.Name)}: no image for key {row.Key} (its parquet row says success)",
            };
        }
    }

    /// <summary>Reads sample <c>key</c>'s image from <c>&lt;tar uri&gt;#key</c>, where the tar must lie directly in the pool's folder.</summary>
    public Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default) =>
        StoredTars.ReadOneAsync(_store, id, uri, byKey: true, cancellationToken);

    private async Task<Img2DatasetRows> ReadRowsAsync(StoredObject parquet, CancellationToken cancellationToken)
    {
        if (parquet.Size > Img2DatasetRows.MaxParquetBytes)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{parquet.Name}: {parquet.Size} bytes, more than the {Img2DatasetRows.MaxParquetBytes >> 20} MiB a shard parquet may have."));
        }

        // Parquet needs to seek (its footer is at the end): the small file is read whole into memory first.
        var bytes = new MemoryStream((int)parquet.Size);
        Stream stream = await _store.OpenAsync(parquet, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        bytes.Position = 0;
        return await Img2DatasetRows.ReadAsync(bytes, parquet.Name, _columns, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a folder holds a tar and a parquet of the same stem.</summary>
    private static bool HasPair(IReadOnlyList<StoredObject> objects) => Pairs(objects).Any(p => p.Tar is not null && p.Parquet is not null);

    /// <summary>The shards of a folder by stem: each stem's tar and parquet (either may be missing), in ordinal stem order.</summary>
    private static IEnumerable<(string Stem, StoredObject? Tar, StoredObject? Parquet)> Pairs(IReadOnlyList<StoredObject> objects)
    {
        var tars = objects.Where(o => o.Name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)).ToDictionary(o => Path.GetFileNameWithoutExtension(o.Name), StringComparer.Ordinal);
        var parquets = objects.Where(o => o.Name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)).ToDictionary(o => Path.GetFileNameWithoutExtension(o.Name), StringComparer.Ordinal);
        return tars.Keys.Union(parquets.Keys).Order(StringComparer.Ordinal).Select(stem => (stem, tars.GetValueOrDefault(stem), parquets.GetValueOrDefault(stem)));
    }
}
