namespace SisomCluster.Inference.Pools;

/// <summary>
/// WebDataset tar shards: one <c>.tar</c> file, a directory holding <c>*.tar</c> files (top level only),
/// or a pattern whose file name has wildcards (<c>dir/shard-*.tar</c>). Tars are taken in ordinal path
/// order.
/// <para>
/// Id = <c>&lt;tar file name without .tar&gt;/&lt;sample key&gt;</c>: WebDataset keys are often only
/// unique within their tar (<c>000000</c>, <c>000001</c>, ... in every shard), and an id that depends on
/// its own tar alone stays stable when tars are added to the pool. Duplicates can then only come from
/// within one tar (a key with two images, or a key again later), and are reported and skipped.
/// </para>
/// <para>
/// One shard per tar, whatever the shard size: a tar is read sequentially, so splitting one into
/// member ranges would make each worker re-scan it from the start; tars are cut to a good shard size
/// when they are written.
/// </para>
/// </summary>
public sealed class TarPoolSource : IPoolSource
{
    public TarPoolSource(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Uri = uri;
    }

    public PoolSourceKind Kind => PoolSourceKind.Tar;

    public string Uri { get; }

    public PoolListing List(int shardSize, Action<string>? report = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        IReadOnlyList<string> tars = ResolveTars(Uri);
        var items = new List<PoolItemInfo>();
        var shards = new List<ShardDescriptor>(tars.Count);
        var duplicates = new List<PoolDuplicate>();
        var stems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string tar in tars)
        {
            string stem = Stem(tar);
            if (!stems.TryAdd(stem, tar))
            {
                throw new InvalidDataException($"{Uri}: {stems[stem]} and {tar} would give their items the same ids ({stem}/...); rename one.");
            }

            int before = items.Count;
            foreach (TarSample sample in TarSamples.Read(tar, withImages: false, d => duplicates.Add(d with { Id = $"{stem}/{d.Id}" }), report))
            {
                items.Add(new PoolItemInfo($"{stem}/{sample.Key}", $"{tar}#{sample.ImageMember}", sample.Source, sample.CapturedAt));
            }

            shards.Add(new ShardDescriptor { Kind = Kind, Index = shards.Count, ItemCount = items.Count - before, FilePath = tar });
            report?.Invoke($"{Path.GetFileName(tar)}: {items.Count - before} samples");
        }

        return new PoolListing(items, shards, duplicates);
    }

    public IEnumerable<PoolItem> Read(ShardDescriptor shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Kind != Kind || shard.FilePath is null)
        {
            throw new ArgumentException($"A {Kind} source cannot read a {shard.Kind} shard.", nameof(shard));
        }

        return ReadTar(shard.FilePath);
    }

    /// <summary>The tar files <paramref name="uri"/> names, in ordinal order; none is an error.</summary>
    internal static IReadOnlyList<string> ResolveTars(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (File.Exists(uri))
        {
            return [Path.GetFullPath(uri)];
        }

        string folder;
        string pattern;
        if (Directory.Exists(uri))
        {
            (folder, pattern) = (uri, "*.tar");
        }
        else if (HasWildcard(Path.GetFileName(uri)))
        {
            (folder, pattern) = (Path.GetDirectoryName(uri) is { Length: > 0 } d ? d : ".", Path.GetFileName(uri));
        }
        else
        {
            throw new FileNotFoundException($"{uri}: no such tar file, directory or pattern.", uri);
        }

        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{uri}: no such directory {folder}.");
        }

        // Simple matching: the legacy Win32 rules would let "*.tar" match "x.tar.part" too.
        var options = new EnumerationOptions { MatchType = MatchType.Simple, AttributesToSkip = 0 };
        List<string> tars = Directory.EnumerateFiles(folder, pattern, options)
            .Where(f => f.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
            .Select(Path.GetFullPath)
            .Order(StringComparer.Ordinal)
            .ToList();
        return tars.Count > 0 ? tars : throw new FileNotFoundException($"{uri}: no .tar files match.", uri);
    }

    internal static bool HasWildcard(string name) => name.AsSpan().IndexOfAny('*', '?') >= 0;

    private static string Stem(string tar) => Path.GetFileNameWithoutExtension(tar);

    private static IEnumerable<PoolItem> ReadTar(string tar)
    {
        string stem = Stem(tar);
        foreach (TarSample sample in TarSamples.Read(tar, withImages: true))
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
