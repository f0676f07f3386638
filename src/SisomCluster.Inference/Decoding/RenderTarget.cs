using SkiaSharp;

namespace SisomCluster.Inference.Decoding;

/// <summary>
/// The model-input-sized RGBA bitmap one thread draws into, kept per thread so the hot path allocates
/// no bitmap, canvas or paint per image. Skia objects are not thread-safe; per-thread ownership is what
/// makes <see cref="ImageDecoder"/> safe to call from parallel workers.
/// </summary>
internal sealed class RenderTarget : IDisposable
{
    [ThreadStatic]
    private static RenderTarget? _current;

    private readonly SKBitmap _bitmap;
    private readonly SKCanvas _canvas;
    private readonly SKPaint _paint;

    private RenderTarget(int width, int height)
    {
        // Opaque: the source is declared opaque too, so Skia neither premultiplies nor blends.
        _bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        _canvas = new SKCanvas(_bitmap);
        _paint = new SKPaint { BlendMode = SKBlendMode.Src, IsAntialias = false, IsDither = false };
    }

    public int Width => _bitmap.Width;

    public int Height => _bitmap.Height;

    /// <summary>This thread's target of the given size; a thread that switches between sizes re-creates it.</summary>
    public static RenderTarget For(int width, int height)
    {
        RenderTarget? target = _current;
        if (target is null || target.Width != width || target.Height != height)
        {
            target?.Dispose();
            target = new RenderTarget(width, height);
            _current = target;
        }

        return target;
    }

    /// <summary>Draws <paramref name="source"/> through <paramref name="matrix"/>; the returned RGBA bytes stay valid until this thread's next call.</summary>
    public ReadOnlySpan<byte> Render(SKImage source, in SKMatrix matrix, in SKSamplingOptions sampling)
    {
        // Cleared first so that a pixel the image does not reach (float rounding at a crop edge) is black,
        // never a leftover of the previous image.
        _canvas.ResetMatrix();
        _canvas.Clear(SKColors.Black);
        _canvas.SetMatrix(matrix);
        _canvas.DrawImage(source, 0, 0, sampling, _paint);
        return _bitmap.GetPixelSpan();
    }

    public void Dispose()
    {
        _paint.Dispose();
        _canvas.Dispose();
        _bitmap.Dispose();
    }
}
