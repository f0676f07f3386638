using SisomCluster.Inference.Datasets;
using SisomCluster.Lab.Datasets;
using SkiaSharp;
using Xunit;

namespace SisomCluster.Lab.Tests.Datasets;

/// <summary>The image sets of the evaluations: scikit-learn digits, noise, blank, inverted, and their fingerprints.</summary>
public sealed class EvaluationImageTests
{
    [Fact]
    public void Digits_are_upscaled_in_blocks_of_three_on_a_two_pixel_border()
    {
        GreyImageSet digits = SklearnDigits.Load(5);
        Assert.Equal(5, digits.Count);
        Assert.Equal(28, digits.Side);
        Assert.Equal([0, 1, 2, 3, 4], digits.Labels);

        // The first digit's first row is 0,0,5,13,9,1,0,0: source pixel (0, 2) = 5 → round(5·255/16) = 80
        // fills rows 2..4, columns 8..10; the border stays black.
        ReadOnlySpan<byte> first = digits.Image(0);
        for (int y = 2; y < 5; y++)
        {
            for (int x = 8; x < 11; x++)
            {
                Assert.Equal(80, first[(y * 28) + x]);
            }
        }

        Assert.Equal(207, first[(2 * 28) + 11]); // 13·255/16 = 207.19
        Assert.Equal(0, first[(1 * 28) + 9]);
        Assert.Equal(0, first[(27 * 28) + 27]);
    }

    [Fact]
    public void Missing_digits_file_names_the_debian_package()
    {
        FileNotFoundException e = Assert.Throws<FileNotFoundException>(() => SklearnDigits.Load(1, path: "/nonexistent/digits.csv.gz"));
        Assert.Contains("python3-sklearn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Noise_depends_on_the_seed_and_only_on_it()
    {
        GreyImageSet a = SyntheticOodImages.Noise(3, seed: 1);
        Assert.Equal(a.Pixels, SyntheticOodImages.Noise(3, seed: 1).Pixels);
        Assert.NotEqual(a.Pixels, SyntheticOodImages.Noise(3, seed: 2).Pixels);
        Assert.Equal(a.Fingerprint(), SyntheticOodImages.Noise(3, seed: 1).Fingerprint());
        Assert.NotEqual(a.Fingerprint(), SyntheticOodImages.Noise(3, seed: 2).Fingerprint());
        Assert.All(a.Labels, l => Assert.Equal(-1, l));
        Assert.True(a.Pixels.Distinct().Count() > 200);
    }

    [Fact]
    public void Blank_levels_run_from_black_to_white_and_inversion_flips_every_pixel()
    {
        GreyImageSet blank = SyntheticOodImages.Blank(3);
        Assert.Equal([0, 128, 255], Enumerable.Range(0, 3).Select(i => (int)blank.Image(i)[0]));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Single(blank.Image(i).ToArray().Distinct()));

        FashionMnist fashion = FashionMnist.Load(train: false, limit: 2);
        GreyImageSet source = GreyImageSet.From("test", fashion, [1, 0]);
        Assert.Equal([fashion.Labels[1], fashion.Labels[0]], source.Labels.Select(l => (byte)l));
        Assert.Equal(fashion.Image(1).ToArray(), source.Image(0).ToArray());
        GreyImageSet inverted = SyntheticOodImages.Inverted(source);
        Assert.Equal(source.Pixels.Select(p => (byte)(255 - p)), inverted.Pixels);
    }

    [Fact]
    public void Png_encoding_keeps_the_grey_values()
    {
        GreyImageSet noise = SyntheticOodImages.Noise(1, seed: 7);
        using SKBitmap decoded = SKBitmap.Decode(noise.EncodePng(0));
        Assert.Equal(28, decoded.Width);
        Assert.Equal(noise.Image(0)[(3 * 28) + 5], decoded.GetPixel(5, 3).Red);
    }
}
