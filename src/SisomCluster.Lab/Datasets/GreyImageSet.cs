using System.Security.Cryptography;
using SisomCluster.Inference.Datasets;
using SkiaSharp;

namespace SisomCluster.Lab.Datasets;

/// <summary>
/// A named set of square 8-bit grey images (28×28 for the evaluations), with an optional label per image
/// (−1 = none). The evaluations build their ID, near- and far-OOD sets as these and embed them as PNGs.
/// </summary>
public sealed class GreyImageSet
{
    public GreyImageSet(string name, byte[] pixels, int[] labels, int side = FashionMnist.Side)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(side, 1);
        if (pixels.Length != (long)labels.Length * side * side)
        {
            throw new ArgumentException($"{name}: {pixels.Length} pixels for {labels.Length} images of {side}x{side}.", nameof(pixels));
        }

        Name = name;
        Pixels = pixels;
        Labels = labels;
        Side = side;
    }

    public string Name { get; }

    /// <summary>Count × Side × Side grey values, row-major.</summary>
    public byte[] Pixels { get; }

    public int[] Labels { get; }

    public int Side { get; }

    public int Count => Labels.Length;

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Side * Side, Side * Side);

    /// <summary>The images of <paramref name="dataset"/> at <paramref name="indices"/>, in that order, with their labels.</summary>
    public static GreyImageSet From(string name, FashionMnist dataset, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        const int size = FashionMnist.Side * FashionMnist.Side;
        var pixels = new byte[indices.Count * size];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            dataset.Image(indices[i]).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = dataset.Labels[indices[i]];
        }

        return new GreyImageSet(name, pixels, labels);
    }

    /// <summary>Image <paramref name="index"/> as an 8-bit greyscale PNG.</summary>
    public byte[] EncodePng(int index)
    {
        var info = new SKImageInfo(Side, Side, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Image(index).CopyTo(bitmap.GetPixelSpan());
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>SHA-256 (hex) of the side and every pixel: two sets with the same images have the same fingerprint, whatever their names.</summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(Side));
        hash.AppendData(BitConverter.GetBytes(Count));
        hash.AppendData(Pixels);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
