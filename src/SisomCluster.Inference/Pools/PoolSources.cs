namespace SisomCluster.Inference.Pools;

/// <summary>Opens a pool source by kind, or works the kind out from what the uri names.</summary>
public static class PoolSources
{
    public static IPoolSource Open(PoolSourceKind kind, string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return kind switch
        {
            PoolSourceKind.Directory => new DirectoryPoolSource(uri),
            PoolSourceKind.Manifest => new ManifestPoolSource(uri),
            PoolSourceKind.Tar => new TarPoolSource(uri),
            PoolSourceKind.Embeddings => new EmbeddingsPoolSource(uri),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown pool source kind."),
        };
    }

    /// <summary>Opens <paramref name="uri"/> as the kind <see cref="Detect"/> finds.</summary>
    public static IPoolSource Open(string uri) => Open(Detect(uri), uri);

    /// <summary>
    /// A directory holding <c>*.tar</c> files (top level) is Tar, any other directory is Directory;
    /// a wildcard file name (<c>dir/shard-*.tar</c>) or a <c>.tar</c> file is Tar; <c>.csv</c>,
    /// <c>.jsonl</c> and <c>.ndjson</c> are Manifest; <c>.npy</c> is Embeddings (ids file: see
    /// <see cref="EmbeddingsPoolSource.FindIdsFile"/>). Anything else is an <see cref="ArgumentException"/>
    /// naming what is accepted.
    /// </summary>
    public static PoolSourceKind Detect(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (Directory.Exists(uri))
        {
            // A folder of tars is a tar pool even if stray images sit beside them: tars are the unit of work.
            bool hasTars = Directory.EnumerateFiles(uri, "*", SearchOption.TopDirectoryOnly)
                .Any(f => f.EndsWith(".tar", StringComparison.OrdinalIgnoreCase));
            return hasTars ? PoolSourceKind.Tar : PoolSourceKind.Directory;
        }

        if (TarPoolSource.HasWildcard(Path.GetFileName(uri)))
        {
            return PoolSourceKind.Tar;
        }

        return Path.GetExtension(uri).ToLowerInvariant() switch
        {
            ".tar" => PoolSourceKind.Tar,
            ".csv" or ".jsonl" or ".ndjson" => PoolSourceKind.Manifest,
            ".npy" => PoolSourceKind.Embeddings,
            _ => throw new ArgumentException(
                $"{uri}: cannot tell the pool kind; name a directory, a .tar file or pattern (dir/shard-*.tar), a .csv/.jsonl manifest or an .npy embeddings file.",
                nameof(uri)),
        };
    }
}
