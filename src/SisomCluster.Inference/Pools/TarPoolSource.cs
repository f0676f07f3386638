using System.Runtime.CompilerServices;

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
/// <para>
/// An item's uri is <c>&lt;tar path&gt;#&lt;member name&gt;</c>; only this class reads or writes that form.
/// </para>
/// </summary>
public sealed class TarPoolSource : IPoolSource
{
    /// <summary>The registered kind name.</summary>
    public const string KindName = "tar";

    public TarPoolSource(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Uri = uri;
    }

    public string Kind => KindName;

    public string Uri { get; }

    /// <summary>The tar file, the folder of tars, or the folder of a pattern.</summary>
    public string Location =>
        File.Exists(Uri) || Directory.Exists(Uri) || !HasWildcard(Path.GetFileName(Uri))
            ? Path.GetFullPath(Uri)
            : Path.GetFullPath(Path.GetDirectoryName(Uri) is { Length: > 0 } folder ? folder : ".");

    public bool HoldsImages => true;

    /// <summary>
    /// Detection: a <c>.tar</c> file, a wildcard file name (<c>dir/shard-*.tar</c>), or a directory holding <c>*.tar</c>
    /// files at its top level (a folder of tars is a tar pool even if stray images sit beside them: tars are the unit of work).
    /// </summary>
    public static bool Claims(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (Directory.Exists(uri))
        {
            return Directory.EnumerateFiles(uri, "*", SearchOption.TopDirectoryOnly).Any(f => f.EndsWith(".tar", StringComparison.OrdinalIgnoreCase));
        }

        return HasWildcard(Path.GetFileName(uri)) || Path.GetExtension(uri).Equals(".tar", StringComparison.OrdinalIgnoreCase);
    }

    public async IAsyncEnumerable<ListedShard> ListAsync(int shardSize, Action<string>? report = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        IReadOnlyList<string> tars = ResolveTars(Uri);
        var stems = new Dictionary<string, string>(StringComparer.Ordinal);
        int index = 0;
        foreach (string tar in tars)
        {
            string stem = Stem(tar);
            if (!stems.TryAdd(stem, tar))
            {
                throw new InvalidDataException($"{Uri}: {stems[stem]} and {tar} would give their items the same ids ({stem}/...); rename one.");
            }

            var items = new List<PoolItemInfo>();
            var duplicates = new List<PoolDuplicate>();
            await foreach (TarSample sample in TarSamples.ReadAsync(tar, withImages: false, d => duplicates.Add(d with { Id = $"{stem}/{d.Id}" }), report, cancellationToken).ConfigureAwait(false))
            {
                items.Add(new PoolItemInfo($"{stem}/{sample.Key}", $"{tar}#{sample.ImageMember}", sample.Source, sample.CapturedAt));
            }

            string json = new TarShard { Kind = Kind, Index = index, ItemCount = items.Count, FilePath = tar }.ToJson();
            report?.Invoke($"{Path.GetFileName(tar)}: {items.Count} samples");
            yield return new ListedShard(index++, items.Count, json, items, duplicates);
        }
    }

    public async IAsyncEnumerable<PoolItem> ReadAsync(string descriptor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        TarShard shard = ShardDescription.Parse<TarShard>(descriptor, Kind);
        if (!shard.FilePath!.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || !FileItems.Inside(Uri, shard.FilePath))
        {
            // A tar linked in from outside the pool's folder (or a descriptor naming another file) is not read: the shard fails.
            throw new InvalidDataException($"shard {shard.Index}: its tar does not lie in the pool.");
        }

        string stem = Stem(shard.FilePath!);
        await foreach (TarSample sample in TarSamples.ReadAsync(shard.FilePath!, withImages: true, cancellationToken: cancellationToken).ConfigureAwait(false))
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

    /// <summary>The shard's ids from its tar's headers alone (the members' data skipped), as <see cref="ReadAsync"/> yields them.</summary>
    public async Task<IReadOnlyList<string>?> ItemIdsAsync(string descriptor, CancellationToken cancellationToken = default)
    {
        TarShard shard = ShardDescription.Parse<TarShard>(descriptor, Kind);
        if (!shard.FilePath!.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || !FileItems.Inside(Uri, shard.FilePath))
        {
            throw new InvalidDataException($"shard {shard.Index}: its tar does not lie in the pool.");
        }

        string stem = Stem(shard.FilePath!);
        var ids = new List<string>();
        await foreach (TarSample sample in TarSamples.ReadAsync(shard.FilePath!, withImages: false, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            ids.Add($"{stem}/{sample.Key}");
        }

        return ids;
    }

    /// <summary>
    /// Reads member <c>m</c> of <c>tar#m</c>, where the tar must be one this pool names (its pattern, folder or file);
    /// headers before it are walked, their data skipped.
    /// </summary>
    public async Task<PoolItem> ReadOneAsync(string id, string uri, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        int hash = uri.LastIndexOf('#');
        if (hash <= 0 || hash == uri.Length - 1)
        {
            return FileItems.Outside(id, uri);
        }

        string tar = Path.GetFullPath(uri[..hash]);
        if (!tar.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || !FileItems.Inside(Uri, tar))
        {
            return FileItems.Outside(id, uri);
        }

        try
        {
            FileStream stream = TarSamples.Open(tar);
            await using (stream.ConfigureAwait(false))
            {
                return await TarSamples.ReadMemberAsync(stream, Path.GetFileName(tar), uri[(hash + 1)..], cancellationToken).ConfigureAwait(false) switch
                {
                    null => new PoolItem { Id = id, ErrorCode = PoolItem.MissingCode, Error = $"{uri}: no such member" },
                    { Error: { } error } => new PoolItem { Id = id, ErrorCode = PoolItem.UnreadableCode, Error = error },
                    { Bytes: var bytes } => new PoolItem { Id = id, Bytes = bytes },
                };
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new PoolItem { Id = id, ErrorCode = PoolItem.MissingCode, Error = $"{tar}: no such file" };
        }
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

    /// <summary>Whether <paramref name="uri"/> names an existing tar file or folder, or a pattern whose folder exists.</summary>
    internal static bool Names(string uri) =>
        File.Exists(uri) || Directory.Exists(uri)
        || (HasWildcard(Path.GetFileName(uri)) && Directory.Exists(Path.GetDirectoryName(uri) is { Length: > 0 } folder ? folder : "."));

    internal static bool HasWildcard(string name) => name.AsSpan().IndexOfAny('*', '?') >= 0;

    private static string Stem(string tar) => Path.GetFileNameWithoutExtension(tar);

}
