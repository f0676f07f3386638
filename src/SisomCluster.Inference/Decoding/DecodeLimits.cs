namespace SisomCluster.Inference.Decoding;

/// <summary>
/// What an encoded image may cost before it is rejected as <see cref="DecodeFailure.TooLarge"/>.
/// Checked from the byte length and the header, before any pixel is decoded or allocated.
/// </summary>
public sealed record DecodeLimits
{
    /// <summary>The largest pixel count the RGBA scratch buffer can hold in one managed array.</summary>
    public const long PixelCeiling = (long)int.MaxValue / 4;

    public static DecodeLimits Default { get; } = new();

    /// <summary>Encoded size limit; longer inputs are rejected by their length, unread. Default 50 MiB.</summary>
    public long MaxBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>Width × height limit from the header. Default 10⁸ (a 10 000 × 10 000 image decodes to 400 MB of RGBA).</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Images with a side shorter than this are <see cref="DecodeFailure.Corrupt"/>. Default 1.</summary>
    public int MinSide { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (MaxBytes < 1 || MaxBytes > Array.MaxLength)
        {
            throw new ArgumentException($"DecodeLimits.MaxBytes must lie in 1..{Array.MaxLength}, got {MaxBytes}.", nameof(MaxBytes));
        }

        if (MaxPixels < 1 || MaxPixels > PixelCeiling)
        {
            throw new ArgumentException($"DecodeLimits.MaxPixels must lie in 1..{PixelCeiling}, got {MaxPixels}.", nameof(MaxPixels));
        }

        if (MinSide < 1)
        {
            throw new ArgumentException($"DecodeLimits.MinSide must be >= 1, got {MinSide}.", nameof(MinSide));
        }
    }
}
