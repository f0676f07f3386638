using SisomCluster.Inference.Datasets;

namespace SisomCluster.Lab.Datasets;

/// <summary>Generated far-OOD images for the Fashion-MNIST evaluation (labels −1).</summary>
public static class SyntheticOodImages
{
    /// <summary>Every pixel uniform in 0..255, independent; the seed fixes the images.</summary>
    public static GreyImageSet Noise(int count, int seed, int side = FashionMnist.Side)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var pixels = new byte[count * side * side];
        new Random(seed).NextBytes(pixels);
        return new GreyImageSet("noise", pixels, Unlabeled(count), side);
    }

    /// <summary>Uniform images, grey levels spread evenly from 0 (black, Fashion-MNIST's background) to 255.</summary>
    public static GreyImageSet Blank(int count, int side = FashionMnist.Side)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var pixels = new byte[count * side * side];
        for (int i = 0; i < count; i++)
        {
            byte level = count == 1 ? (byte)0 : (byte)Math.Round(255.0 * i / (count - 1));
            pixels.AsSpan(i * side * side, side * side).Fill(level);
        }

        return new GreyImageSet("blank", pixels, Unlabeled(count), side);
    }

    /// <summary>255 − v of every pixel of <paramref name="source"/>: dark garments on a white background.</summary>
    public static GreyImageSet Inverted(GreyImageSet source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var pixels = new byte[source.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(255 - source.Pixels[i]);
        }

        return new GreyImageSet("inverted", pixels, Unlabeled(source.Count), source.Side);
    }

    private static int[] Unlabeled(int count)
    {
        var labels = new int[count];
        Array.Fill(labels, -1);
        return labels;
    }
}
