using SisomCluster.Inference.Decoding;
using SkiaSharp;
using Xunit;
using static SisomCluster.Inference.Tests.Decoding.EncodedImages;
using static SisomCluster.Inference.Tests.Decoding.TensorAssert;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>Every accepted format and PNG colour type decodes to the right colours at known pixels.</summary>
public sealed class ImageDecoderFormatTests
{
    [Theory]
    [InlineData("jpeg", ImageFormat.Jpeg, 12)]
    [InlineData("png", ImageFormat.Png, 0)]
    [InlineData("webp", ImageFormat.WebP, 12)]
    [InlineData("gif", ImageFormat.Gif, 0)]
    [InlineData("bmp", ImageFormat.Bmp, 0)]
    public void Every_format_decodes_red_left_and_blue_right(string name, ImageFormat format, float tolerance)
    {
        using SKBitmap bitmap = Halves(64, 32, Red, Blue);
        byte[] bytes = Encode(bitmap, name);
        var decoder = new ImageDecoder(Raw(16, 8));
        var tensor = new float[decoder.Normalization.TensorLength];

        DecodeResult result = decoder.Decode(bytes, tensor);

        Assert.True(result.Success, result.Detail);
        Assert.Equal(format, result.Format);
        Assert.Equal((64, 32), (result.Width, result.Height));
        Assert.Null(result.Failure);
        Colour(tensor, decoder.Normalization, 2, 4, Red, tolerance);
        Colour(tensor, decoder.Normalization, 13, 4, Blue, tolerance);
    }

    public static TheoryData<byte, byte[], byte[], byte[]?, byte[]?, SKColor, SKColor> PngColourTypes() => new()
    {
        // colour type, left pixel samples, right pixel samples, PLTE, tRNS, expected left, expected right
        { 0, [50], [200], null, null, new SKColor(50, 50, 50), new SKColor(200, 200, 200) },
        { 2, [255, 0, 0], [0, 0, 255], null, null, Red, Blue },
        { 3, [0], [1], [255, 0, 0, 0, 0, 255], null, Red, Blue },
        { 3, [0], [1], [255, 0, 0, 0, 0, 255], [0], Red, Blue }, // index 0 (red) fully transparent
        { 4, [50, 0], [200, 255], null, null, new SKColor(50, 50, 50), new SKColor(200, 200, 200) },
        { 6, [255, 0, 0, 0], [0, 0, 255, 128], null, null, Red, Blue }, // alpha 0 and 128
    };

    [Theory]
    [MemberData(nameof(PngColourTypes))]
    public void Png_colour_types_decode_to_their_stored_rgb_with_alpha_dropped(
        byte colourType, byte[] left, byte[] right, byte[]? palette, byte[]? transparency, SKColor expectedLeft, SKColor expectedRight)
    {
        const int Width = 32;
        const int Height = 8;
        var samples = new List<byte>();
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                samples.AddRange(x < Width / 2 ? left : right);
            }
        }

        byte[] png = Png(Width, Height, colourType, [.. samples], palette, transparency);
        PixelNormalization n = Raw(8, 4);

        float[] tensor = Decode(new ImageDecoder(n), png);

        // Transparent pixels keep their stored colour (PIL's convert('RGB')), not black or a blend.
        Colour(tensor, n, 1, 2, expectedLeft, 0);
        Colour(tensor, n, 6, 2, expectedRight, 0);
    }

    [Fact]
    public void Sixteen_bit_png_keeps_the_high_byte()
    {
        // 16-bit samples 0xC8C8, 0x6464, 0x3232 are 200, 100, 50 at 8 bits.
        byte[] pixel = [0xC8, 0xC8, 0x64, 0x64, 0x32, 0x32];
        byte[] png = Png(4, 4, 2, [.. Enumerable.Range(0, 16).SelectMany(_ => pixel)], bitDepth: 16);
        PixelNormalization n = Raw(2, 2);

        float[] tensor = Decode(new ImageDecoder(n), png);

        Colour(tensor, n, 1, 1, new SKColor(200, 100, 50), 0);
    }

    [Fact]
    public void Downscaling_averages_fine_detail_instead_of_aliasing()
    {
        // A one-pixel checkerboard at 60/512 scale: a 2×2-tap bilinear filter would return 0 or 255
        // (or moiré), the mipmapped filter the mean grey.
        using SKBitmap checker = Bitmap(512, 512, (x, y) => ((x + y) & 1) == 0 ? SKColors.Black : SKColors.White);
        PixelNormalization n = Raw(60, 60);

        float[] tensor = Decode(new ImageDecoder(n), Encode(checker, SKEncodedImageFormat.Png));

        Assert.All(tensor, v => Assert.InRange(v, 112, 143));
    }

    [Fact]
    public void A_one_by_one_image_fills_the_whole_input()
    {
        using SKBitmap bitmap = Bitmap(1, 1, (_, _) => new SKColor(10, 20, 30));
        PixelNormalization n = Raw(5, 3, ResizeMode.IsoCrop);
        var decoder = new ImageDecoder(n);
        var tensor = new float[n.TensorLength];

        DecodeResult result = decoder.Decode(Encode(bitmap, SKEncodedImageFormat.Png), tensor);

        Assert.True(result.Success);
        Assert.Equal((1, 1), (result.Width, result.Height));
        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 5; x++)
            {
                Colour(tensor, n, x, y, new SKColor(10, 20, 30), 0);
            }
        }
    }

    [Fact]
    public void DecodeFile_reads_the_same_tensor_as_Decode()
    {
        using SKBitmap bitmap = Quadrants(40, 30);
        byte[] png = Encode(bitmap, SKEncodedImageFormat.Png);
        string path = Path.Combine(Path.GetTempPath(), $"sisom-decode-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, png);
        try
        {
            var decoder = new ImageDecoder(Raw(12, 12, ResizeMode.IsoCrop));
            var fromFile = new float[decoder.Normalization.TensorLength];

            DecodeResult result = decoder.DecodeFile(path, fromFile);

            Assert.True(result.Success);
            Assert.Equal(Decode(decoder, png), fromFile);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
