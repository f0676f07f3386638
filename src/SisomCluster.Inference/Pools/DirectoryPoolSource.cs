using System.Runtime.CompilerServices;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// A directory tree of image files (recursive, ordinal path order, image extensions only). Id = the
/// path relative to the root with '/' separators; Source = the first path segment of a nested file
/// (crawls are usually laid out one folder per source), null for a file at the root.
/// <para>
/// Items are read only inside the directory, compared as real paths: a symbolic link in the tree that points out of it
/// is listed (it has an image name) but read as <see cref="PoolItem.OutsideCode"/>, never followed.
/// </para>
/// </summary>
public sealed class DirectoryPoolSource : IPoolSource
{
    /// <summary>The registered kind name.</summary>
    public const string KindName = "directory";

    private readonly string _root;
    private readonly PoolRoots _roots;

    public DirectoryPoolSource(string root, PoolRoots? roots = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Uri = root;
        _root = Path.GetFullPath(root);
        _roots = roots ?? PoolRoots.Unconfined;
    }

    public string Kind => KindName;

    public string Uri { get; }

    /// <summary>The directory.</summary>
    public string Location => _root;

    public bool HoldsImages => true;

    /// <summary>Detection: any existing directory (a folder of tars is claimed by the Tar kind, registered before this one).</summary>
    public static bool Claims(string uri) => Directory.Exists(uri);

    public async IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        if (!Directory.Exists(_root))
        {
            throw new DirectoryNotFoundException($"{Uri}: no such directory.");
        }

        // Ordinal order needs every path first; paths are small (no bytes are read while listing).
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
        await foreach (ListedShard shard in FileItems.Cut(Kind, items, [], shardSize, _roots, cancellationToken).ConfigureAwait(false))
        {
            yield return shard;
        }
    }

    /// <summary>Reads the shard's files; one whose real path lies outside the directory (a symbolic link out) is <see cref="PoolItem.OutsideCode"/>.</summary>
    public IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, CancellationToken cancellationToken = default)
    {
        string root = FileItems.RealPath(_root);
        return FileItems.Read(Kind, descriptor, _roots, (uri, _) => FileItems.IsUnder(root, FileItems.RealPath(uri)), cancellationToken);
    }

    /// <summary>Reads the file <paramref name="uri"/> if it lies under the pool's directory.</summary>
    public Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return FileItems.Inside(_root, uri)
            ? FileItems.ReadOneAsync(new PoolItemInfo(id, FileItems.RealPath(uri)), cancellationToken)
            : Task.FromResult(FileItems.Outside(id, uri));
    }
}
