using SisomCluster.Inference.Decoding;
using SkiaSharp;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// Encoded image → PNG whose longest side is the requested size (smaller images are enlarged with nearest-neighbour
/// sampling, so a 28-pixel digit stays sharp; larger ones shrink with a cubic filter). An image is refused under the
/// workers' own <see cref="DecodeLimits"/>, checked from the byte length and the header before any pixel is decoded:
/// a thumbnail request cannot make the api role allocate what a worker would refuse.
/// </summary>
internal static class ThumbnailRenderer
{
    public static ThumbnailResult Render(ReadOnlyMemory<byte> bytes, int size, string itemId, DecodeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (bytes.IsEmpty)
        {
            return ThumbnailResult.None($"item '{itemId}' is empty.");
        }

        if (bytes.Length > limits.MaxBytes)
        {
            return ThumbnailResult.None($"item '{itemId}' is {bytes.Length} bytes, over the workers' limit of {limits.MaxBytes}.");
        }

        using SKData data = SKData.CreateCopy(bytes.Span);
        using SKCodec? codec = SKCodec.Create(data);
        if (codec is null)
        {
            return ThumbnailResult.None($"item '{itemId}' is not a decodable image.");
        }

        SKImageInfo info = codec.Info;
        if (Math.Min(info.Width, info.Height) < limits.MinSide)
        {
            return ThumbnailResult.None($"item '{itemId}' is {info.Width}x{info.Height}, a side below {limits.MinSide}.");
        }

        if ((long)info.Width * info.Height > limits.MaxPixels)
        {
            return ThumbnailResult.None($"item '{itemId}' is {info.Width}x{info.Height}, over the workers' limit of {limits.MaxPixels} pixels.");
        }

        // A GIF header is only its canvas: without a frame, decoding would allocate the canvas for nothing (as ImageDecoder checks).
        if (codec.EncodedFormat == SKEncodedImageFormat.Gif && codec.FrameCount < 1)
        {
            return ThumbnailResult.None($"item '{itemId}' is a GIF without a complete frame.");
        }

        using SKBitmap? full = SKBitmap.Decode(codec, info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Premul));
        if (full is null)
        {
            return ThumbnailResult.None($"item '{itemId}' could not be decoded.");
        }

        double scale = (double)size / Math.Max(full.Width, full.Height);
        var target = new SKImageInfo(
            Math.Clamp((int)Math.Round(full.Width * scale), 1, size), Math.Clamp((int)Math.Round(full.Height * scale), 1, size), SKColorType.Rgba8888, SKAlphaType.Premul);
        SKSamplingOptions sampling = scale > 1 ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKCubicResampler.Mitchell);
        using SKBitmap small = full.Resize(target, sampling) ?? throw new InvalidOperationException("SkiaSharp could not resize.");
        using SKImage image = SKImage.FromBitmap(small);
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        return ThumbnailResult.Png(png.ToArray());
    }
}
