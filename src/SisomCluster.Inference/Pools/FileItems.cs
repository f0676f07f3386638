using System.Globalization;
using System.Runtime.CompilerServices;

namespace SisomCluster.Inference.Pools;

/// <summary>What the Directory and Manifest sources share: items that are plain files, listed in the shard itself.</summary>
internal static class FileItems
{
    /// <summary>Consecutive runs of <paramref name="shardSize"/> items, in listing order; duplicates go with the first shard.</summary>
    public static async IAsyncEnumerable<ListedShard> Cut(
        string kind, IReadOnlyList<PoolItemInfo> items, IReadOnlyList<PoolDuplicate> duplicates, int shardSize, PoolRoots roots, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        await Task.CompletedTask.ConfigureAwait(false);
        int index = 0;
        for (int start = 0; start < items.Count; start += shardSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(shardSize, items.Count - start);
            var slice = new PoolItemInfo[count];
            for (int i = 0; i < count; i++)
            {
                slice[i] = items[start + i];
            }

            // The roots travel in the descriptor: a worker confines its reads to the roots the coordinator listed under.
            string json = new FileListShard { Kind = kind, Index = index, ItemCount = count, Items = slice, AllowedRoots = roots.IsConfined ? roots.Roots : null }.ToJson();
            yield return new ListedShard(index, count, json, slice, index == 0 ? duplicates : []);
            index++;
        }
    }

    /// <summary>
    /// Reads a shard's items; an item for which <paramref name="allowed"/> says no — under the roots the descriptor
    /// carries (the coordinator's) AND under the source's own when this process is confined too: never the union, so a
    /// worker with narrower roots than the coordinator's, or roots narrowed after the launch, reads no more than its
    /// own allow — is <see cref="PoolItem.OutsideCode"/>, unread.
    /// </summary>
    /// <param name="http">Reads items whose uri is an http(s) URL (manifests); null: such an item is outside the pool.</param>
    public static async IAsyncEnumerable<PoolItem> Read(
        string kind, string descriptor, PoolRoots roots, Func<string, PoolRoots, bool> allowed, [EnumeratorCancellation] CancellationToken cancellationToken, Sources.HttpItemReader? http = null)
    {
        FileListShard shard = ShardDescription.Parse<FileListShard>(descriptor, kind);
        PoolRoots? listed = shard.AllowedRoots is { Count: > 0 } named ? new PoolRoots(named) : null;
        bool Allowed(string uri) => listed is null
            ? allowed(uri, roots)
            : allowed(uri, listed) && (!roots.IsConfined || allowed(uri, roots));
        foreach (PoolItemInfo info in shard.Items!)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Sources.HttpItemReader.IsHttp(info.Uri))
            {
                // Not a file: the allowed hosts decide, not the roots.
                yield return http is null
                    ? Outside(info.Id, info.Uri) with { Source = info.Source, CapturedAt = info.CapturedAt }
                    : await http.ReadAsync(info, cancellationToken).ConfigureAwait(false);
                continue;
            }

            yield return Allowed(info.Uri)
                ? await ReadOneAsync(info, cancellationToken).ConfigureAwait(false)
                : Outside(info.Id, info.Uri) with { Source = info.Source, CapturedAt = info.CapturedAt };
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is <paramref name="root"/> itself or lies under it (the folder of a file root),
    /// compared as real paths: <c>..</c> removed and every symbolic link on the way resolved, so a link inside the pool
    /// that points out of it lies outside.
    /// </summary>
    public static bool Inside(string root, string path)
    {
        string full = RealPath(path);
        string pool = RealPath(root);
        if (string.Equals(full, pool, StringComparison.Ordinal))
        {
            return true;
        }

        string folder = Directory.Exists(pool) ? pool : Path.GetDirectoryName(pool) ?? pool;
        return IsUnder(folder, full);
    }

    /// <summary>Whether the real path <paramref name="real"/> is the folder <paramref name="realFolder"/> or lies under it (both already real).</summary>
    public static bool IsUnder(string realFolder, string real)
    {
        string folder = Path.TrimEndingDirectorySeparator(realFolder);
        return string.Equals(real, folder, StringComparison.Ordinal)
            || real.StartsWith(folder == Path.GetPathRoot(folder) ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// The absolute path with <c>.</c>/<c>..</c> removed and each symbolic link among its components replaced by its
    /// final target (as realpath(3)); components that do not exist are kept as written.
    /// </summary>
    public static string RealPath(string path) => RealPath(path, depth: 0);

    private static string RealPath(string path, int depth)
    {
        // The kernel's own limit on links followed in one lookup; a loop ends here instead of in a stack overflow.
        const int MaxLinks = 40;
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full) ?? "";
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                if (depth >= MaxLinks)
                {
                    throw new IOException("too many levels of symbolic links");
                }

                FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
                next = target is null ? next : RealPath(target.FullName, depth + 1);
            }

            current = next;
        }

        return current;
    }

    public static PoolItem Outside(string id, string uri) =>
        new() { Id = id, ErrorCode = PoolItem.OutsideCode, Error = $"{uri} does not lie in the pool" };

    /// <summary>One file, read whole (after checking its size against <see cref="PoolItem.MaxBytes"/>).</summary>
    public static async Task<PoolItem> ReadOneAsync(PoolItemInfo info, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(info.Uri, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                long length = stream.Length;
                if (length > PoolItem.MaxBytes)
                {
                    return Failed(info, PoolItem.UnreadableCode, string.Create(CultureInfo.InvariantCulture, $"{info.Uri} is {length} bytes, more than the {PoolItem.MaxBytes >> 20} MiB an item may have"));
                }

                var bytes = new byte[length];
                await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                return new PoolItem { Id = info.Id, Bytes = bytes, Source = info.Source, CapturedAt = info.CapturedAt };
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Failed(info, PoolItem.MissingCode, $"{info.Uri}: no such file");
        }
        catch (EndOfStreamException)
        {
            return Failed(info, PoolItem.UnreadableCode, $"{info.Uri}: the file shrank while it was read");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            // A directory in the file's place, a permission problem, a path the OS rejects: the item
            // fails, the shard goes on.
            return Failed(info, PoolItem.UnreadableCode, $"{info.Uri}: {e.Message}");
        }
    }

    private static PoolItem Failed(PoolItemInfo info, string code, string error) =>
        new() { Id = info.Id, Source = info.Source, CapturedAt = info.CapturedAt, ErrorCode = code, Error = error };
}
