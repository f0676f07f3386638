using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// A directory tree of image files (recursive, ordinal path order, image extensions only). Id = the
/// path relative to the root with '/' separators; Source = the first path segment of a nested file
/// (crawls are usually laid out one folder per source), null for a file at the root.
/// </summary>
public sealed class DirectoryPoolSource : IPoolSource
{
    private readonly string _root;

    public DirectoryPoolSource(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Uri = root;
        _root = Path.GetFullPath(root);
    }

    public PoolSourceKind Kind => PoolSourceKind.Directory;

    public string Uri { get; }

    public PoolListing List(int shardSize, Action<string>? report = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        if (!Directory.Exists(_root))
        {
            throw new DirectoryNotFoundException($"{Uri}: no such directory.");
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 };
        var items = Directory.EnumerateFiles(_root, "*", options)
            .Where(f => ImageSources.ImageExtensions.Contains(Path.GetExtension(f)))
            .Select(f => Path.GetRelativePath(_root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(id =>
            {
                int slash = id.IndexOf('/', StringComparison.Ordinal);
                return new PoolItemInfo(id, Path.Combine(_root, id), slash > 0 ? id[..slash] : null);
            })
            .ToList();
        report?.Invoke($"{Uri}: {items.Count} images");

        // Paths in one tree are unique, so a directory has no duplicates.
        return new PoolListing(items, FileItems.Cut(Kind, items, shardSize), []);
    }

    public IEnumerable<PoolItem> Read(ShardDescriptor shard) => FileItems.Read(Kind, shard);
}
