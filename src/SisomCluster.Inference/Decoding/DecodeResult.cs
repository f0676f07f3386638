namespace SisomCluster.Inference.Decoding;

/// <summary>
/// The outcome of decoding one image: success, or a typed <see cref="DecodeFailure"/> with a short detail
/// for the error row. Width and Height are the image as displayed (after EXIF orientation), taken from the
/// header, so they are known for most failures too (0 when the header was never read).
/// </summary>
public readonly record struct DecodeResult
{
    private DecodeResult(bool success, DecodeFailure? failure, string? detail, int width, int height, ImageFormat? format)
    {
        Success = success;
        Failure = failure;
        Detail = detail;
        Width = width;
        Height = height;
        Format = format;
    }

    /// <summary>
    /// True when the destination holds the image. Every decoder result has either this or a <see cref="Failure"/>;
    /// stored rather than derived so that <c>default(DecodeResult)</c>, e.g. an unfilled array slot, is not a success.
    /// </summary>
    public bool Success { get; }

    public DecodeFailure? Failure { get; }

    /// <summary>The stable database code of <see cref="Failure"/>; null on success.</summary>
    public string? FailureCode => Failure?.ToCode();

    /// <summary>A short human explanation of a failure, e.g. "header declares 100000×100000 = 1E+10 pixels, limit 100000000"; null on success.</summary>
    public string? Detail { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The format recognised from the signature; null when none was.</summary>
    public ImageFormat? Format { get; }

    internal static DecodeResult Succeeded(int width, int height, ImageFormat format) => new(true, null, null, width, height, format);

    internal static DecodeResult Failed(DecodeFailure failure, string detail, ImageFormat? format = null, int width = 0, int height = 0) =>
        new(false, failure, detail, width, height, format);
}
