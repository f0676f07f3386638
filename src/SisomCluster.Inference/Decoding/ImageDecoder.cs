using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SkiaSharp;

namespace SisomCluster.Inference.Decoding;

/// <summary>
/// Encoded image bytes → one model input (planar CHW float32, see <see cref="PixelNormalization"/>).
/// Immutable and thread-safe: one instance per model, called from any number of parallel workers.
/// </summary>
/// <remarks>
/// <para>
/// Formats: JPEG, PNG, WebP, GIF (first frame), BMP, recognised by signature. Anything else is
/// <see cref="DecodeFailure.UnsupportedFormat"/>. Bad bytes never throw: every outcome is a
/// <see cref="DecodeResult"/>; only programmer errors (a destination of the wrong length) and I/O errors
/// in <see cref="DecodeFile"/> throw. On failure the destination is zeroed.
/// </para>
/// <para>
/// Colour: every image (grey, palette, alpha, CMYK) is decoded to 8-bit RGBA, unpremultiplied, and the
/// alpha is then dropped, keeping the stored colour of transparent pixels, the same as PIL's
/// <c>convert('RGB')</c>. Embedded colour profiles are ignored (no colour-space conversion), also as PIL.
/// EXIF orientation (all eight origins) is applied before resizing.
/// </para>
/// <para>
/// Limits: the byte length is checked before parsing, the header's pixel count and sides before any
/// pixel buffer exists, so a decompression bomb costs a header parse. Large JPEGs are decoded at a
/// reduced DCT scale (<see cref="JpegDraftDecoding"/>), which makes them several times cheaper.
/// </para>
/// </remarks>
public sealed class ImageDecoder
{
    // Scratch buffers above this are one-off arrays: ArrayPool keeps whatever is returned to it, and a few
    // 400 MB arrays parked per core would outlive the rare huge image that needed them.
    private const int PooledBytesLimit = 64 * 1024 * 1024;

    // See PixelNormalization's remarks for why bilinear from the nearest mipmap level.
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Nearest);

    private readonly TensorWriter _writer;

    public ImageDecoder(PixelNormalization normalization, DecodeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        limits ??= DecodeLimits.Default;
        normalization.Validate();
        limits.Validate();
        Normalization = normalization;
        Limits = limits;
        _writer = new TensorWriter(normalization);
    }

    public PixelNormalization Normalization { get; }

    public DecodeLimits Limits { get; }

    /// <summary>
    /// Decode JPEGs at 1/2 … 1/8 scale (libjpeg's DCT scaling) when the image stays at least twice the
    /// size the resize keeps. Default on: a 4000 × 3000 JPEG to 224 × 224 took 30 ms instead of 133 ms,
    /// and the result differs from a full decode only by the mild difference between the DCT's and the
    /// mipmaps' averaging. Turn off to compare with a reference pipeline pixel for pixel.
    /// </summary>
    public bool JpegDraftDecoding { get; init; } = true;

    /// <summary>Decodes one image into <paramref name="destination"/> (exactly <see cref="PixelNormalization.TensorLength"/> floats).</summary>
    public DecodeResult Decode(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        CheckDestination(destination);
        DecodeResult result = DecodeCore(encoded, destination);
        if (!result.Success)
        {
            destination.Clear();
        }

        return result;
    }

    /// <summary>
    /// Reads and decodes a file. A missing or unreadable file throws (an I/O error, not a decode failure);
    /// a file longer than <see cref="DecodeLimits.MaxBytes"/> is rejected by its length, unread.
    /// </summary>
    public DecodeResult DecodeFile(string path, Span<float> destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckDestination(destination);
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        if (length > Limits.MaxBytes)
        {
            destination.Clear();
            return DecodeResult.Failed(DecodeFailure.TooLarge, $"file is {length} bytes, limit {Limits.MaxBytes}");
        }

        byte[] buffer = RentScratch((int)length);
        try
        {
            int total = 0;
            while (total < length)
            {
                int read = RandomAccess.Read(file, buffer.AsSpan(total, (int)length - total), total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return Decode(buffer.AsSpan(0, total), destination);
        }
        finally
        {
            ReturnScratch(buffer);
        }
    }

    private void CheckDestination(Span<float> destination)
    {
        if (destination.Length != Normalization.TensorLength)
        {
            throw new ArgumentException(
                $"The destination holds {destination.Length} floats; {Normalization.ChannelCount}×{Normalization.Height}×{Normalization.Width} = {Normalization.TensorLength} are needed.",
                nameof(destination));
        }
    }

    private unsafe DecodeResult DecodeCore(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        if (encoded.IsEmpty)
        {
            return DecodeResult.Failed(DecodeFailure.Empty, "0 bytes");
        }

        if (encoded.Length > Limits.MaxBytes)
        {
            return DecodeResult.Failed(DecodeFailure.TooLarge, $"{encoded.Length} bytes, limit {Limits.MaxBytes}");
        }

        ImageFormat? sniffed = FormatSniffer.Sniff(encoded, out bool wholeSignature);
        if (sniffed is not { } format)
        {
            return DecodeResult.Failed(DecodeFailure.UnsupportedFormat, "no JPEG, PNG, WebP, GIF or BMP signature");
        }

        if (!wholeSignature)
        {
            return DecodeResult.Failed(DecodeFailure.Truncated, $"{encoded.Length} bytes end inside the {format} signature", format);
        }

        fixed (byte* bytes = encoded)
        {
            // Wraps the caller's bytes without a copy; every Skia object that sees them dies inside this block.
            using SKData data = SKData.Create((IntPtr)bytes, encoded.Length, null);
            using var stream = new SKMemoryStream(data);
            using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult created);
            if (codec is null)
            {
                (DecodeFailure failure, string detail) = FailureClassifier.Classify(format, encoded, created);
                return DecodeResult.Failed(failure, detail, format);
            }

            return DecodePixels(codec, format, encoded, destination);
        }
    }

    private unsafe DecodeResult DecodePixels(SKCodec codec, ImageFormat format, ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        SKImageInfo header = codec.Info;
        SKEncodedOrigin origin = codec.EncodedOrigin;
        bool swap = DecodeGeometry.SwapsAxes(origin);
        int width = swap ? header.Height : header.Width;
        int height = swap ? header.Width : header.Height;
        if (Math.Min(width, height) < Limits.MinSide)
        {
            return DecodeResult.Failed(DecodeFailure.Corrupt, $"header declares {width}×{height}, a side below {Limits.MinSide}", format, width, height);
        }

        long pixelCount = (long)width * height;
        if (pixelCount > Limits.MaxPixels)
        {
            return DecodeResult.Failed(DecodeFailure.TooLarge, $"header declares {width}×{height} = {pixelCount} pixels, limit {Limits.MaxPixels}", format, width, height);
        }

        bool clearFirst = false;
        if (format == ImageFormat.Gif)
        {
            // A GIF's header is only its canvas size; without this check a few hundred random bytes after
            // "GIF89a" cost an allocation of up to MaxPixels × 4 bytes before the decoder finds no frame.
            if (codec.FrameCount < 1 || !codec.GetFrameInfo(0, out SKCodecFrameInfo frame))
            {
                (DecodeFailure failure, string detail) = FailureClassifier.Classify(format, encoded, SKCodecResult.IncompleteInput);
                return DecodeResult.Failed(failure, $"no complete first frame: {detail}", format, width, height);
            }

            // A first frame smaller than the canvas, or transparent pixels the codec may skip, leave bytes
            // unwritten, and pooled memory is not zero: clear unless the frame is whole and opaque.
            clearFirst = frame.FrameRect != new SKRectI(0, 0, header.Width, header.Height) || header.AlphaType != SKAlphaType.Opaque;
        }

        PixelNormalization n = Normalization;
        SKSizeI size = header.Size;
        if (JpegDraftDecoding && format == ImageFormat.Jpeg)
        {
            float draft = DecodeGeometry.DraftScale(width, height, n.Width, n.Height);
            SKSizeI scaled = draft < 1 ? codec.GetScaledDimensions(draft) : size;
            if (scaled.Width >= 1 && scaled.Height >= 1 && scaled.Width <= size.Width && scaled.Height <= size.Height)
            {
                size = scaled;
            }
        }

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        byte[] scratch = RentScratch(info.BytesSize);
        try
        {
            fixed (byte* pixels = scratch)
            {
                Span<byte> rgba = scratch.AsSpan(0, info.BytesSize);
                if (clearFirst)
                {
                    rgba.Clear();
                }

                SKCodecResult decoded = codec.GetPixels(info, (IntPtr)pixels, info.RowBytes, SKCodecOptions.Default);
                if (decoded != SKCodecResult.Success)
                {
                    (DecodeFailure failure, string detail) = FailureClassifier.Classify(format, encoded, decoded);
                    return DecodeResult.Failed(failure, detail, format, width, height);
                }

                if (header.AlphaType != SKAlphaType.Opaque)
                {
                    ForceOpaque(rgba);
                }

                // Declared opaque, so resampling works on the stored colours as they are (no premultiplication).
                using SKImage image = SKImage.FromPixels(info.WithAlphaType(SKAlphaType.Opaque), (IntPtr)pixels, info.RowBytes);
                int shownWidth = swap ? size.Height : size.Width;
                int shownHeight = swap ? size.Width : size.Height;
                SKMatrix matrix = SKMatrix.Concat(
                    DecodeGeometry.Fit(n.Resize, shownWidth, shownHeight, n.Width, n.Height),
                    DecodeGeometry.Orientation(origin, size.Width, size.Height));
                ReadOnlySpan<byte> target = RenderTarget.For(n.Width, n.Height).Render(image, matrix, Sampling);
                _writer.Write(target, destination);
            }
        }
        finally
        {
            ReturnScratch(scratch);
        }

        return DecodeResult.Succeeded(width, height, format);
    }

    /// <summary>Sets every alpha byte of RGBA8888 to 255: alpha is dropped, as PIL's convert('RGB') drops it.</summary>
    private static void ForceOpaque(Span<byte> rgba)
    {
        Span<uint> pixels = MemoryMarshal.Cast<byte, uint>(rgba);
        uint alpha = BitConverter.IsLittleEndian ? 0xFF000000u : 0x000000FFu;
        var alphaVector = new Vector<uint>(alpha);
        int i = 0;
        for (; i <= pixels.Length - Vector<uint>.Count; i += Vector<uint>.Count)
        {
            var slice = pixels.Slice(i, Vector<uint>.Count);
            (new Vector<uint>(slice) | alphaVector).CopyTo(slice);
        }

        for (; i < pixels.Length; i++)
        {
            pixels[i] |= alpha;
        }
    }

    private static byte[] RentScratch(int length) =>
        length <= PooledBytesLimit ? ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)) : GC.AllocateUninitializedArray<byte>(length);

    private static void ReturnScratch(byte[] buffer)
    {
        if (buffer.Length <= PooledBytesLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
