using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>A directory on disk as an <see cref="IShardStore"/>: its top-level files.</summary>
internal sealed class FolderShardStore(string folder) : IShardStore
{
    public string Location { get; } = Path.GetFullPath(folder);

    public Task<IReadOnlyList<StoredObject>> ListAsync(CancellationToken cancellationToken) => Task.FromResult(List());

    /// <summary>The folder's top-level files by name (the file system answers synchronously).</summary>
    public IReadOnlyList<StoredObject> List()
    {
        if (!Directory.Exists(Location))
        {
            throw new DirectoryNotFoundException($"{Location}: no such directory.");
        }

        var options = new EnumerationOptions { MatchType = MatchType.Simple, AttributesToSkip = 0 };
        IReadOnlyList<StoredObject> files = [.. Directory.EnumerateFiles(Location, "*", options)
            .Select(f => new FileInfo(f))
            .Select(f => new StoredObject(f.Name, f.Length, null))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];
        return files;
    }

    public Task<Stream> OpenAsync(StoredObject stored, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(Path.Combine(Location, stored.Name), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan));

    public Task<StoredObject> StatAsync(string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(Path.Combine(Location, name));
        return info.Exists
            ? Task.FromResult(new StoredObject(name, info.Length, null))
            : throw new FileNotFoundException($"{info.FullName}: no such file.", info.FullName);
    }

    public string UriOf(string name) => Path.Combine(Location, name);

    /// <summary>A file directly in the folder, compared as real paths (a link out of the folder lies outside).</summary>
    public string? NameOf(string uri)
    {
        if (S3Uri.IsS3(uri) || !Path.IsPathFullyQualified(uri))
        {
            return null;
        }

        string real = FileItems.RealPath(uri);
        string folder = FileItems.RealPath(Location);
        return string.Equals(Path.GetDirectoryName(real), folder, StringComparison.Ordinal) ? Path.GetFileName(real) : null;
    }
}
