namespace SisomCluster.Inference.Decoding;

/// <summary>
/// How decoded pixels become one model input: planar CHW float32 of
/// <see cref="ChannelCount"/> × <see cref="Height"/> × <see cref="Width"/>. Filled from the model manifest.
/// </summary>
/// <remarks>
/// <para>Pipeline, in this order, for every output value v of channel c at (y, x):</para>
/// <list type="number">
/// <item>geometry: EXIF orientation, then <see cref="Resize"/> to Width × Height, resampled in 8-bit RGB
/// (as PIL and ML.NET resize 8-bit images);</item>
/// <item>channels: picked per <see cref="ChannelOrder"/> (Grey = 0.299 R + 0.587 G + 0.114 B, unrounded);</item>
/// <item>v = raw · <see cref="Scale"/>;</item>
/// <item>v −= <see cref="MeanImage"/>[c, y, x] when set;</item>
/// <item>v −= <see cref="Mean"/>[c] when set;</item>
/// <item>v /= <see cref="Std"/>[c] when set.</item>
/// </list>
/// <para>
/// Resampling is bilinear from the nearest mipmap level (Skia's
/// <c>SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest)</c>). Nearly every input is larger than
/// the model input, so the filter is chosen for downscaling: plain bilinear (or Skia's cubic resamplers,
/// which ignore mipmaps) reads only 2×2 (4×4) source pixels per output pixel and aliases badly at 2× and
/// more; the mipmap levels are 2×2 box averages, so sampling the level nearest the target scale
/// averages first, like PIL's antialiased resize that most training pipelines used. Blending two
/// levels (<c>SKMipmapMode.Linear</c>) changed outputs by under 0.6/255 on average but cost about 40 %
/// of the throughput of a 500 × 375 JPEG, so one level it is. Upscaling tiny images is plain bilinear.
/// </para>
/// </remarks>
public sealed record PixelNormalization
{
    /// <summary>Largest accepted side of the model input.</summary>
    public const int MaxSide = 8192;

    /// <summary>Model input width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Model input height in pixels.</summary>
    public required int Height { get; init; }

    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Multiplies the raw 0..255 values first: 1/255 for [0, 1] inputs, 1 (default) for raw values.</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Per-channel mean in the model's channel order, subtracted after scaling; null = 0.</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation in the model's channel order, divided last; null = 1.</summary>
    public float[]? Std { get; init; }

    /// <summary>
    /// Optional per-pixel mean, C × H × W in the model's channel order, subtracted after scaling and
    /// before <see cref="Mean"/>/<see cref="Std"/> (the default ResNet-18 subtracts one).
    /// </summary>
    public float[]? MeanImage { get; init; }

    public ResizeMode Resize { get; init; } = ResizeMode.IsoCrop;

    /// <summary>1 for <see cref="ChannelOrder.Grey"/>, else 3.</summary>
    public int ChannelCount => ChannelOrder == ChannelOrder.Grey ? 1 : 3;

    /// <summary>Floats per image: ChannelCount × Height × Width.</summary>
    public int TensorLength => ChannelCount * Width * Height;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Width < 1 || Width > MaxSide || Height < 1 || Height > MaxSide)
        {
            throw new ArgumentException($"PixelNormalization size must lie in 1..{MaxSide} per side, got {Width}×{Height}.", nameof(Width));
        }

        if (!Enum.IsDefined(ChannelOrder))
        {
            throw new ArgumentException($"PixelNormalization.ChannelOrder {ChannelOrder} is not defined.", nameof(ChannelOrder));
        }

        if (!Enum.IsDefined(Resize))
        {
            throw new ArgumentException($"PixelNormalization.Resize {Resize} is not defined.", nameof(Resize));
        }

        if (!float.IsFinite(Scale) || Scale == 0)
        {
            throw new ArgumentException($"PixelNormalization.Scale must be finite and non-zero, got {Scale}.", nameof(Scale));
        }

        CheckPerChannel(Mean, nameof(Mean), allowZero: true);
        CheckPerChannel(Std, nameof(Std), allowZero: false);
        if (MeanImage is not null)
        {
            if (MeanImage.Length != TensorLength)
            {
                throw new ArgumentException(
                    $"PixelNormalization.MeanImage must hold C×H×W = {ChannelCount}×{Height}×{Width} = {TensorLength} values, got {MeanImage.Length}.",
                    nameof(MeanImage));
            }

            for (int i = 0; i < MeanImage.Length; i++)
            {
                if (!float.IsFinite(MeanImage[i]))
                {
                    throw new ArgumentException($"PixelNormalization.MeanImage[{i}] = {MeanImage[i]} is not finite.", nameof(MeanImage));
                }
            }
        }
    }

    private void CheckPerChannel(float[]? values, string name, bool allowZero)
    {
        if (values is null)
        {
            return;
        }

        if (values.Length != ChannelCount)
        {
            throw new ArgumentException($"PixelNormalization.{name} needs {ChannelCount} values for {ChannelOrder}, got {values.Length}.", name);
        }

        foreach (float v in values)
        {
            if (!float.IsFinite(v) || (!allowZero && v == 0))
            {
                throw new ArgumentException($"PixelNormalization.{name} holds {v}; values must be finite{(allowZero ? "" : " and non-zero")}.", name);
            }
        }
    }
}
