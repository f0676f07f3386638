using SkiaSharp;

namespace SisomCluster.Inference.Decoding;

/// <summary>
/// The one affine map from decoded pixels to model-input pixels: EXIF orientation first, then the
/// resize (and centre crop). Drawing once through the combined matrix resamples once, not per step.
/// </summary>
internal static class DecodeGeometry
{
    /// <summary>Origins 5–8 store the image transposed: its displayed width is the stored height.</summary>
    public static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>
    /// Maps stored coordinates (w × h) to displayed ones, per the EXIF definition of where row 0 and
    /// column 0 of the stored image appear (continuous coordinates, so a flip is x' = w − x).
    /// </summary>
    public static SKMatrix Orientation(SKEncodedOrigin origin, float w, float h) => origin switch
    {
        SKEncodedOrigin.TopRight => Affine(-1, 0, w, 0, 1, 0),        // 2: mirror horizontally
        SKEncodedOrigin.BottomRight => Affine(-1, 0, w, 0, -1, h),    // 3: rotate 180°
        SKEncodedOrigin.BottomLeft => Affine(1, 0, 0, 0, -1, h),      // 4: mirror vertically
        SKEncodedOrigin.LeftTop => Affine(0, 1, 0, 1, 0, 0),          // 5: transpose
        SKEncodedOrigin.RightTop => Affine(0, -1, h, 1, 0, 0),        // 6: rotate 90° clockwise
        SKEncodedOrigin.RightBottom => Affine(0, -1, h, -1, 0, w),    // 7: transverse
        SKEncodedOrigin.LeftBottom => Affine(0, 1, 0, -1, 0, w),      // 8: rotate 90° counter-clockwise
        _ => SKMatrix.Identity,                                        // 1 and anything unknown
    };

    /// <summary>Maps displayed coordinates (w × h) onto the model input, per <paramref name="mode"/>.</summary>
    public static SKMatrix Fit(ResizeMode mode, float w, float h, int width, int height)
    {
        if (mode == ResizeMode.Stretch)
        {
            return SKMatrix.CreateScale(width / w, height / h);
        }

        // IsoCrop: cover the input, centre the overflow. The overflowing axis gets a negative offset.
        float s = Math.Max(width / w, height / h);
        return Affine(s, 0, (width - (w * s)) / 2, 0, s, (height - (h * s)) / 2);
    }

    /// <summary>
    /// The scale at which a JPEG may be decoded (libjpeg's DCT scaling, 1/8 steps) without losing what
    /// the resize keeps: twice the final scale, so the mipmapped downscale that follows still averages
    /// at least 2×2 decoded pixels per output pixel. 1 when no reduction is possible.
    /// </summary>
    public static float DraftScale(float displayedWidth, float displayedHeight, int width, int height)
    {
        // IsoCrop scales both axes by the larger ratio; Stretch needs the larger of its two ratios kept too.
        float s = Math.Max(width / displayedWidth, height / displayedHeight);
        return Math.Min(1f, 2 * s);
    }

    private static SKMatrix Affine(float scaleX, float skewX, float transX, float skewY, float scaleY, float transY) =>
        new(scaleX, skewX, transX, skewY, scaleY, transY, 0, 0, 1);
}
