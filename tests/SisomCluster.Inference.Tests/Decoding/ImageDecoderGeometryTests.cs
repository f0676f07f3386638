using SisomCluster.Inference.Decoding;
using SkiaSharp;
using Xunit;
using static SisomCluster.Inference.Tests.Decoding.EncodedImages;
using static SisomCluster.Inference.Tests.Decoding.TensorAssert;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>IsoCrop and Stretch geometry, EXIF orientation, and JPEG draft decoding.</summary>
public sealed class ImageDecoderGeometryTests
{
    /// <summary>200 × 100: left quarter red, right quarter blue, middle half green.</summary>
    private static byte[] Banded() =>
        Encode(Bitmap(200, 100, (x, _) => x < 50 ? Red : x >= 150 ? Blue : Green), SKEncodedImageFormat.Png);

    [Fact]
    public void IsoCrop_scales_the_short_side_and_keeps_the_centre()
    {
        PixelNormalization n = Raw(50, 50, ResizeMode.IsoCrop);

        float[] tensor = Decode(new ImageDecoder(n), Banded());

        // Scale 0.5 → 100 × 50, crop x 25..75 of it = source x 50..150: only the green middle survives.
        for (int y = 0; y < 50; y += 7)
        {
            for (int x = 0; x < 50; x++)
            {
                Colour(tensor, n, x, y, Green, 2);
            }
        }
    }

    [Fact]
    public void IsoCrop_crops_rows_of_a_portrait_image()
    {
        byte[] portrait = Encode(Bitmap(100, 200, (_, y) => y < 50 ? Red : y >= 150 ? Blue : Green), SKEncodedImageFormat.Png);
        PixelNormalization n = Raw(40, 20, ResizeMode.IsoCrop);

        float[] tensor = Decode(new ImageDecoder(n), portrait);

        // Scale 0.4 → 40 × 80, rows 30..50 kept = source rows 75..125.
        for (int y = 0; y < 20; y++)
        {
            Colour(tensor, n, 20, y, Green, 2);
        }
    }

    [Fact]
    public void Stretch_keeps_every_band_at_its_proportional_place()
    {
        PixelNormalization n = Raw(40, 10);

        float[] tensor = Decode(new ImageDecoder(n), Banded());

        // x scale 0.2: red covers output x < 10, green 10..30, blue ≥ 30.
        Colour(tensor, n, 3, 5, Red, 2);
        Colour(tensor, n, 20, 5, Green, 2);
        Colour(tensor, n, 36, 5, Blue, 2);
    }

    [Fact]
    public void Exif_orientation_6_rotates_clockwise()
    {
        byte[] jpeg = WithExifOrientation(Encode(Halves(60, 30, Red, Blue), SKEncodedImageFormat.Jpeg), 6);
        PixelNormalization n = Raw(16, 16);
        var decoder = new ImageDecoder(n);
        var tensor = new float[n.TensorLength];

        DecodeResult result = decoder.Decode(jpeg, tensor);

        // Rotated 90° clockwise the stored left (red) half becomes the top.
        Assert.True(result.Success);
        Assert.Equal((30, 60), (result.Width, result.Height));
        Colour(tensor, n, 8, 2, Red, 12);
        Colour(tensor, n, 8, 13, Blue, 12);
    }

    /// <summary>
    /// For each EXIF orientation, which stored quadrant is displayed top-left, top-right, bottom-left,
    /// bottom-right, written out from the EXIF definitions (R G / B W stored).
    /// </summary>
    [Theory]
    [InlineData(1, "RGBW")]
    [InlineData(2, "GRWB")] // mirrored horizontally
    [InlineData(3, "WBGR")] // rotated 180°
    [InlineData(4, "BWRG")] // mirrored vertically
    [InlineData(5, "RBGW")] // transposed
    [InlineData(6, "BRWG")] // rotated 90° clockwise
    [InlineData(7, "WGBR")] // transverse
    [InlineData(8, "GWRB")] // rotated 90° counter-clockwise
    public void Every_exif_orientation_is_applied(int orientation, string displayed)
    {
        byte[] jpeg = WithExifOrientation(Encode(Quadrants(64, 32), SKEncodedImageFormat.Jpeg), orientation);
        PixelNormalization n = Raw(16, 16);
        var decoder = new ImageDecoder(n);
        var tensor = new float[n.TensorLength];

        DecodeResult result = decoder.Decode(jpeg, tensor);

        Assert.True(result.Success);
        Assert.Equal(orientation >= 5 ? (32, 64) : (64, 32), (result.Width, result.Height));
        (int X, int Y)[] centres = [(4, 4), (12, 4), (4, 12), (12, 12)];
        for (int q = 0; q < 4; q++)
        {
            SKColor expected = displayed[q] switch { 'R' => Red, 'G' => Green, 'B' => Blue, _ => White };
            Colour(tensor, n, centres[q].X, centres[q].Y, expected, 16);
        }
    }

    [Fact]
    public void Jpeg_draft_decoding_stays_close_to_a_full_decode()
    {
        // A smooth 1600 × 1200 photo stand-in: draft decoding at 1/4 scale (400 × 300 ≥ 2 × 112) applies.
        using SKBitmap bitmap = Bitmap(1600, 1200, (x, y) => new SKColor((byte)(x * 255 / 1600), (byte)(y * 255 / 1200), (byte)((x + y) % 256)));
        byte[] jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg);
        PixelNormalization n = Raw(112, 112, ResizeMode.IsoCrop);

        float[] draft = Decode(new ImageDecoder(n), jpeg);
        float[] full = Decode(new ImageDecoder(n) { JpegDraftDecoding = false }, jpeg);

        float meanAbsDifference = draft.Zip(full, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbsDifference < 3, $"Mean |draft − full| = {meanAbsDifference} of 255.");
        Assert.NotEqual(draft, full);
    }
}
