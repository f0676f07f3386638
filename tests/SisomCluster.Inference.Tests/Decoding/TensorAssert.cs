using SisomCluster.Inference.Decoding;
using SkiaSharp;
using Xunit;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>Reading and checking planar CHW output.</summary>
internal static class TensorAssert
{
    /// <summary>Raw 0..255 output (Scale 1, no mean, no std) of the given size.</summary>
    public static PixelNormalization Raw(int width, int height, ResizeMode resize = ResizeMode.Stretch, ChannelOrder order = ChannelOrder.Rgb) =>
        new() { Width = width, Height = height, Resize = resize, ChannelOrder = order };

    public static float At(float[] tensor, PixelNormalization n, int channel, int x, int y) =>
        tensor[(((channel * n.Height) + y) * n.Width) + x];

    public static void Colour(float[] tensor, PixelNormalization n, int x, int y, SKColor expected, float tolerance)
    {
        float[] actual = [At(tensor, n, 0, x, y), At(tensor, n, 1, x, y), At(tensor, n, 2, x, y)];
        float[] wanted = [expected.Red, expected.Green, expected.Blue];
        for (int c = 0; c < 3; c++)
        {
            Assert.True(
                Math.Abs(actual[c] - wanted[c]) <= tolerance,
                $"At ({x}, {y}) expected {string.Join(",", wanted)} ± {tolerance}, got {string.Join(",", actual)}.");
        }
    }

    public static float[] Decode(ImageDecoder decoder, byte[] bytes)
    {
        var tensor = new float[decoder.Normalization.TensorLength];
        DecodeResult result = decoder.Decode(bytes, tensor);
        Assert.True(result.Success, $"{result.FailureCode}: {result.Detail}");
        return tensor;
    }
}
