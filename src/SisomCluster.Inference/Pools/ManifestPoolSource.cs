using System.Globalization;
using System.Runtime.CompilerServices;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// A manifest naming one image file per line: CSV with a header row naming the columns
/// <c>id,uri[,source,captured_at]</c> (any order, other columns ignored), or JSONL with one object per
/// line carrying those keys. A uri is a file path (relative paths resolve against the manifest's
/// folder), a <c>file://</c> URI or an <c>http(s)://</c> URL (fetched by <see cref="HttpItemReader"/>, only from allowed
/// hosts); captured_at is ISO-8601 (JSONL also takes Unix seconds as a
/// number). The first line with an id wins; later ones are reported as duplicates and not scored.
/// </summary>
public sealed class ManifestPoolSource : IPoolSource
{
    /// <summary>The registered kind name.</summary>
    public const string KindName = "manifest";

    private readonly string _path;
    private readonly PoolRoots _roots;
    private readonly HttpItemReader _http;

    /// <param name="context">Gives the http(s) item reader (allowed hosts); null: no host is allowed.</param>
    public ManifestPoolSource(string path, PoolRoots? roots = null, PoolContext? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Uri = path;
        _path = Path.GetFullPath(path);
        _roots = roots ?? PoolRoots.Unconfined;
        _http = context?.HttpItems ?? HttpItemReader.DenyAll;
    }

    public string Kind => KindName;

    public string Uri { get; }

    /// <summary>The manifest file.</summary>
    public string Location => _path;

    public bool HoldsImages => true;

    /// <summary>Detection: a <c>.csv</c>, <c>.jsonl</c> or <c>.ndjson</c> file name.</summary>
    public static bool Claims(string uri) =>
        Path.GetExtension(uri).ToLowerInvariant() is ".csv" or ".jsonl" or ".ndjson";

    public async IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        if (!File.Exists(_path))
        {
            throw new FileNotFoundException($"{Uri}: no such manifest.", _path);
        }

        // The whole manifest is checked before the first shard: a malformed file is rejected once, with all its errors.
        List<(int Line, PoolItemInfo Item)> lines = ManifestParser.Parse(_path, cancellationToken);
        var firstLine = new Dictionary<string, int>(lines.Count, StringComparer.Ordinal);
        var items = new List<PoolItemInfo>(lines.Count);
        var duplicates = new List<PoolDuplicate>();
        foreach ((int line, PoolItemInfo item) in lines)
        {
            if (firstLine.TryAdd(item.Id, line))
            {
                items.Add(item);
            }
            else
            {
                duplicates.Add(new PoolDuplicate(item.Id, string.Create(CultureInfo.InvariantCulture, $"line {line} (first at line {firstLine[item.Id]})")));
            }
        }

        report?.Invoke($"{Uri}: {items.Count} items, {duplicates.Count} duplicate ids skipped");

        // Manifest order is the user's order (often by time or crawl batch): shards keep it.
        await foreach (ListedShard shard in FileItems.Cut(Kind, items, duplicates, shardSize, _roots, cancellationToken).ConfigureAwait(false))
        {
            yield return shard;
        }
    }

    /// <summary>
    /// Reads the shard's files. Under allowed roots (this source's, or those the descriptor was listed under) a file must
    /// lie in the manifest's folder or in a root, as real paths, else it is <see cref="PoolItem.OutsideCode"/>, unread;
    /// unconfined (no roots anywhere: the development default) a manifest may name any readable file.
    /// </summary>
    public IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, CancellationToken cancellationToken = default) =>
        FileItems.Read(Kind, descriptor, _roots, (uri, roots) => !roots.IsConfined || FileItems.Inside(_path, uri) || roots.Holds(uri), cancellationToken, _http);

    /// <summary>
    /// Reads the file <paramref name="uri"/> if it lies under the manifest's folder or under an allowed root, compared as
    /// real paths: an entry with <c>../</c>, an absolute path elsewhere or a symbolic link out of the folder is
    /// <see cref="PoolItem.OutsideCode"/> and nothing is read (the thumbnail path; the uri comes from the <c>items</c>
    /// row, never from a request).
    /// </summary>
    public Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (HttpItemReader.IsHttp(uri))
        {
            return _http.ReadAsync(new PoolItemInfo(id, uri), cancellationToken);
        }

        return FileItems.Inside(_path, uri) || _roots.Holds(uri)
            ? FileItems.ReadOneAsync(new PoolItemInfo(id, FileItems.RealPath(uri)), cancellationToken)
            : Task.FromResult(FileItems.Outside(id, uri));
    }
}
