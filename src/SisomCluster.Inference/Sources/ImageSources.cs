using System.Runtime.CompilerServices;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// Streams the images of a directory tree or a WebDataset-style tar shard, in a stable order, with ids local to it (the
/// relative path, the sample key) — the offline commands' view of a folder of images. Reading shares the pool sources'
/// streaming code: one item's bytes at a time, capped at <see cref="PoolItem.MaxBytes"/>; an item that cannot be read is
/// reported through <c>failed</c>, not yielded.
/// </summary>
public static class ImageSources
{
    /// <summary>File extensions taken as images; anything else in a directory or tar is ignored.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp",
    };

    /// <summary>Id = the path relative to <paramref name="root"/>, with '/' separators (recursive, ordinal path order).</summary>
    public static async IAsyncEnumerable<SourceImage> FromDirectoryAsync(
        string root, Action<PoolItem>? failed = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string full = Path.GetFullPath(root);
        foreach (string file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                     .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                     .Order(StringComparer.Ordinal))
        {
            PoolItem item = await FileItems.ReadOneAsync(new PoolItemInfo(Path.GetRelativePath(full, file).Replace('\\', '/'), file), cancellationToken).ConfigureAwait(false);
            if (item.ErrorCode is null)
            {
                yield return new SourceImage(item.Id, item.Bytes);
            }
            else
            {
                failed?.Invoke(item);
            }
        }
    }

    /// <summary>
    /// WebDataset convention: members sharing a key (the name up to the first '.' of the file name)
    /// form one sample; its image member becomes one item with id = key. Sidecars (.json, .txt, ...)
    /// are skipped unread. A key with two image members is reported, not scored twice.
    /// </summary>
    public static async IAsyncEnumerable<SourceImage> FromTarAsync(
        string path, Action<string>? duplicate = null, Action<PoolItem>? failed = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (TarSample sample in TarSamples.ReadAsync(path, withImages: true, d => duplicate?.Invoke(d.Id), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (sample.Error is null)
            {
                yield return new SourceImage(sample.Key, sample.Image);
            }
            else
            {
                failed?.Invoke(new PoolItem { Id = sample.Key, ErrorCode = PoolItem.UnreadableCode, Error = sample.Error });
            }
        }
    }
}
