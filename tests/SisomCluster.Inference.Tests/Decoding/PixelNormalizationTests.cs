using SisomCluster.Inference.Decoding;
using SkiaSharp;
using Xunit;
using static SisomCluster.Inference.Tests.Decoding.EncodedImages;
using static SisomCluster.Inference.Tests.Decoding.TensorAssert;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>Channel order, grey, and the documented order scale → mean image → mean → std.</summary>
public sealed class PixelNormalizationTests
{
    private static readonly SKColor Solid = new(200, 100, 50);

    [Fact]
    public void Bgr_puts_blue_in_the_first_plane()
    {
        using SKBitmap bitmap = Halves(32, 16, Red, Blue);
        PixelNormalization n = Raw(8, 4, order: ChannelOrder.Bgr);

        float[] tensor = Decode(new ImageDecoder(n), Encode(bitmap, SKEncodedImageFormat.Png));

        // Read back as if RGB: the red half shows as (0, 0, 255).
        Colour(tensor, n, 1, 2, Blue, 0);
        Colour(tensor, n, 6, 2, Red, 0);
    }

    [Fact]
    public void Grey_is_one_plane_of_bt601_luminance()
    {
        using SKBitmap bitmap = Halves(32, 16, Red, Blue);
        PixelNormalization n = Raw(8, 4, order: ChannelOrder.Grey);
        Assert.Equal(1, n.ChannelCount);
        Assert.Equal(32, n.TensorLength);

        float[] tensor = Decode(new ImageDecoder(n), Encode(bitmap, SKEncodedImageFormat.Png));

        Assert.Equal(0.299f * 255, At(tensor, n, 0, 1, 2), 3);
        Assert.Equal(0.114f * 255, At(tensor, n, 0, 6, 2), 3);
    }

    [Theory]
    [InlineData(ChannelOrder.Rgb)]
    [InlineData(ChannelOrder.Grey)]
    public void Scale_then_mean_image_then_mean_then_std(ChannelOrder order)
    {
        int channels = order == ChannelOrder.Grey ? 1 : 3;
        float[] meanImage = [.. Enumerable.Range(0, channels * 16).Select(i => 0.01f * i)];
        float[] mean = [.. new[] { 0.1f, 0.2f, 0.3f }.Take(channels)];
        float[] std = [.. new[] { 0.5f, 0.25f, 2f }.Take(channels)];
        var n = new PixelNormalization
        {
            Width = 4,
            Height = 4,
            ChannelOrder = order,
            Scale = 1 / 255f,
            Mean = mean,
            Std = std,
            MeanImage = meanImage,
        };
        using SKBitmap bitmap = Bitmap(8, 8, (_, _) => Solid);

        float[] tensor = Decode(new ImageDecoder(n), Encode(bitmap, SKEncodedImageFormat.Png));

        float[] raw = order == ChannelOrder.Grey
            ? [(0.299f * 200) + (0.587f * 100) + (0.114f * 50)]
            : [200, 100, 50];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < 16; i++)
            {
                float expected = ((raw[c] * (1 / 255f)) - meanImage[(c * 16) + i] - mean[c]) / std[c];
                Assert.Equal(expected, tensor[(c * 16) + i], 4);
            }
        }
    }

    [Fact]
    public void Mean_and_std_without_a_mean_image_match_the_formula()
    {
        var n = new PixelNormalization { Width = 2, Height = 2, Scale = 1 / 255f, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        using SKBitmap bitmap = Bitmap(4, 4, (_, _) => Solid);

        float[] tensor = Decode(new ImageDecoder(n), Encode(bitmap, SKEncodedImageFormat.Png));

        Assert.Equal(((200 / 255f) - 0.485f) / 0.229f, tensor[0], 5);
        Assert.Equal(((100 / 255f) - 0.456f) / 0.224f, tensor[4], 5);
        Assert.Equal(((50 / 255f) - 0.406f) / 0.225f, tensor[8], 5);
    }

    [Fact]
    public void The_decoder_keeps_its_own_copy_of_the_manifest_arrays()
    {
        float[] mean = [10, 20, 30];
        var decoder = new ImageDecoder(new PixelNormalization { Width = 2, Height = 2, Mean = mean });
        using SKBitmap bitmap = Bitmap(4, 4, (_, _) => Solid);
        byte[] png = Encode(bitmap, SKEncodedImageFormat.Png);
        float[] before = Decode(decoder, png);

        mean[0] = 1000;

        Assert.Equal(before, Decode(decoder, png));
        Assert.Equal(190, before[0]);
    }

    [Fact]
    public void Invalid_settings_are_rejected_by_name()
    {
        Assert.Throws<ArgumentException>("Mean", () => new ImageDecoder(new PixelNormalization { Width = 2, Height = 2, Mean = [0, 0] }));
        Assert.Throws<ArgumentException>("Std", () => new ImageDecoder(new PixelNormalization { Width = 2, Height = 2, ChannelOrder = ChannelOrder.Grey, Std = [0] }));
        Assert.Throws<ArgumentException>("MeanImage", () => new ImageDecoder(new PixelNormalization { Width = 2, Height = 2, MeanImage = new float[4] }));
        Assert.Throws<ArgumentException>("Scale", () => new ImageDecoder(new PixelNormalization { Width = 2, Height = 2, Scale = float.NaN }));
        Assert.Throws<ArgumentException>("Width", () => new ImageDecoder(new PixelNormalization { Width = 0, Height = 2 }));
        Assert.Throws<ArgumentException>("MaxBytes", () => new ImageDecoder(Raw(2, 2), new DecodeLimits { MaxBytes = 0 }));
        Assert.Throws<ArgumentException>("MaxPixels", () => new ImageDecoder(Raw(2, 2), new DecodeLimits { MaxPixels = DecodeLimits.PixelCeiling + 1 }));
        Assert.Throws<ArgumentException>("MinSide", () => new ImageDecoder(Raw(2, 2), new DecodeLimits { MinSide = 0 }));
    }
}
