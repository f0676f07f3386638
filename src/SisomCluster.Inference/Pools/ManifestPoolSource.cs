using System.Globalization;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// A manifest naming one image file per line: CSV with a header row naming the columns
/// <c>id,uri[,source,captured_at]</c> (any order, other columns ignored), or JSONL with one object per
/// line carrying those keys. A uri is a file path (relative paths resolve against the manifest's
/// folder) or a <c>file://</c> URI; captured_at is ISO-8601 (JSONL also takes Unix seconds as a
/// number). The first line with an id wins; later ones are reported as duplicates and not scored.
/// </summary>
public sealed class ManifestPoolSource : IPoolSource
{
    private readonly string _path;

    public ManifestPoolSource(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Uri = path;
        _path = Path.GetFullPath(path);
    }

    public PoolSourceKind Kind => PoolSourceKind.Manifest;

    public string Uri { get; }

    public PoolListing List(int shardSize, Action<string>? report = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        if (!File.Exists(_path))
        {
            throw new FileNotFoundException($"{Uri}: no such manifest.", _path);
        }

        List<(int Line, PoolItemInfo Item)> lines = ManifestParser.Parse(_path);
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
        return new PoolListing(items, FileItems.Cut(Kind, items, shardSize), duplicates);
    }

    public IEnumerable<PoolItem> Read(ShardDescriptor shard) => FileItems.Read(Kind, shard);
}
