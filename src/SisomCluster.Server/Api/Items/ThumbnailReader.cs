using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;
using SkiaSharp;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// A small PNG of one pool item. The bytes are read the way a worker reads them (the pool source, from the item's stored
/// uri), never from a path in the request: the request names an item id, the <c>items</c> row says where it lives, and a
/// uri outside the pool's own directory (directory and tar pools) is refused.
/// </summary>
internal static class ThumbnailReader
{
    public const int DefaultSize = 128;

    public const int MaxSize = 512;

    /// <summary>Images with more pixels are not decoded (a decompression bomb is a small file).</summary>
    public const long MaxPixels = 100_000_000;

    /// <returns>The PNG, or a one-line reason (<see cref="ThumbnailResult.Problem"/>) why there is none.</returns>
    public static async Task<ThumbnailResult> ReadAsync(Pool pool, Item item, int size, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(item);
        IPoolSource? source = PoolSources.IsKind(pool.SourceKind) ? PoolSources.Open(pool.SourceKind, pool.SourceUri) : null;
        if (source is not { HoldsImages: true })
        {
            return ThumbnailResult.None($"pool '{pool.Name}' holds {pool.SourceKind}, not images.");
        }

        if (string.IsNullOrEmpty(item.Uri))
        {
            return ThumbnailResult.None($"item '{item.ItemId}' has no stored uri.");
        }

        // The source reads this one item's bytes and refuses a uri outside its pool (ReadOneAsync).
        PoolItem read;
        try
        {
            read = await source.ReadOneAsync(item.ItemId, item.Uri, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return ThumbnailResult.None($"item '{item.ItemId}' cannot be read: {e.Message}");
        }

        if (read.ErrorCode == PoolItem.OutsideCode)
        {
            return ThumbnailResult.None($"item '{item.ItemId}' lies outside pool '{pool.Name}'.");
        }

        if (read.ErrorCode is not null)
        {
            return ThumbnailResult.None($"item '{item.ItemId}' cannot be read: {read.Error}");
        }

        return Render(read.Bytes, size, item.ItemId);
    }

    private static ThumbnailResult Render(ReadOnlyMemory<byte> bytes, int size, string itemId)
    {
        using SKData data = SKData.CreateCopy(bytes.Span);
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null)
        {
            return ThumbnailResult.None($"item '{itemId}' is not a decodable image.");
        }

        SKImageInfo info = codec.Info;
        if ((long)info.Width * info.Height > MaxPixels)
        {
            return ThumbnailResult.None($"item '{itemId}' is {info.Width}x{info.Height}, over {MaxPixels} pixels.");
        }

        using SKBitmap? full = SKBitmap.Decode(codec, info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Premul));
        if (full is null)
        {
            return ThumbnailResult.None($"item '{itemId}' could not be decoded.");
        }

        double scale = Math.Min(1.0, (double)size / Math.Max(full.Width, full.Height));
        var target = new SKImageInfo(Math.Max(1, (int)Math.Round(full.Width * scale)), Math.Max(1, (int)Math.Round(full.Height * scale)), SKColorType.Rgba8888, SKAlphaType.Premul);
        using SKBitmap small = full.Resize(target, new SKSamplingOptions(SKCubicResampler.Mitchell)) ?? throw new InvalidOperationException("SkiaSharp could not resize.");
        using SKImage image = SKImage.FromBitmap(small);
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        return ThumbnailResult.Png(png.ToArray());
    }
}
