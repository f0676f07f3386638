using System.Diagnostics;
using SisomCluster.Inference.Decoding;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;
using static SisomCluster.Inference.Tests.Decoding.EncodedImages;
using static SisomCluster.Inference.Tests.Decoding.TensorAssert;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>Every failure class, typed, without throwing, and with a zeroed destination.</summary>
public sealed class ImageDecoderFailureTests(ITestOutputHelper output)
{
    private static readonly ImageDecoder Decoder = new(Raw(8, 8));

    private static DecodeResult DecodeBytes(byte[] bytes, ImageDecoder? decoder = null)
    {
        decoder ??= Decoder;
        float[] tensor = [.. Enumerable.Repeat(7f, decoder.Normalization.TensorLength)];
        DecodeResult result = decoder.Decode(bytes, tensor);
        if (!result.Success)
        {
            Assert.All(tensor, v => Assert.Equal(0f, v));
            Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        }

        return result;
    }

    [Fact]
    public void Zero_bytes_are_empty()
    {
        DecodeResult result = DecodeBytes([]);

        Assert.Equal(DecodeFailure.Empty, result.Failure);
        Assert.Equal("empty", result.FailureCode);
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.WebP)]
    public void Garbage_after_a_valid_signature_is_corrupt(ImageFormat format)
    {
        var random = new Random(11);
        var bytes = new byte[500];
        random.NextBytes(bytes);
        byte[] signature = format switch
        {
            ImageFormat.Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A],
            ImageFormat.Jpeg => [0xFF, 0xD8, 0xFF],
            _ => [.. "RIFF"u8, 500 - 8 - 256, 1, 0, 0, .. "WEBP"u8], // a RIFF length that matches the file
        };
        signature.CopyTo(bytes, 0);

        DecodeResult result = DecodeBytes(bytes);

        Assert.Equal(DecodeFailure.Corrupt, result.Failure);
        Assert.Equal(format, result.Format);
    }

    [Theory]
    [InlineData("jpeg", 0.5)]
    [InlineData("jpeg", 0.9)]
    [InlineData("png", 0.5)]
    [InlineData("png", 0.9)]
    [InlineData("webp", 0.5)]
    [InlineData("gif", 0.5)]
    [InlineData("bmp", 0.5)]
    [InlineData("jpeg", 0.002)]
    public void A_file_cut_short_is_truncated(string format, double keep)
    {
        using SKBitmap bitmap = format == "gif" ? Halves(200, 200, Red, Blue) : Noise(200, 200, seed: 3);
        byte[] whole = Encode(bitmap, format);
        byte[] cut = whole[..Math.Max(1, (int)(whole.Length * keep))];

        DecodeResult result = DecodeBytes(cut);

        Assert.True(DecodeBytes(whole).Success);
        Assert.Equal(DecodeFailure.Truncated, result.Failure);
    }

    [Fact]
    public void A_decompression_bomb_is_rejected_from_its_header_without_allocating()
    {
        byte[] bomb = PngBomb(100_000);
        DecodeBytes(bomb); // warm up: the first call loads the native library

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        DecodeResult result = DecodeBytes(bomb);
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        output.WriteLine($"bomb ({bomb.Length} bytes, 100000×100000) rejected in {clock.Elapsed.TotalMilliseconds:F3} ms, {allocated} managed bytes allocated");
        Assert.Equal(DecodeFailure.TooLarge, result.Failure);
        Assert.Equal((100_000, 100_000), (result.Width, result.Height));
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a rejected bomb.");
        Assert.True(clock.ElapsedMilliseconds < 5000, $"Bomb rejection took {clock.ElapsedMilliseconds} ms."); // the target is well under 100 ms
    }

    [Fact]
    public void More_pixels_than_MaxPixels_is_too_large_and_a_short_side_is_corrupt()
    {
        byte[] png = Encode(Halves(20, 10, Red, Blue), SKEncodedImageFormat.Png);

        Assert.Equal(DecodeFailure.TooLarge, DecodeBytes(png, new ImageDecoder(Raw(8, 8), new DecodeLimits { MaxPixels = 199 })).Failure);
        Assert.True(DecodeBytes(png, new ImageDecoder(Raw(8, 8), new DecodeLimits { MaxPixels = 200 })).Success);
        Assert.Equal(DecodeFailure.Corrupt, DecodeBytes(png, new ImageDecoder(Raw(8, 8), new DecodeLimits { MinSide = 11 })).Failure);
    }

    [Fact]
    public void More_bytes_than_MaxBytes_is_too_large_before_parsing()
    {
        var decoder = new ImageDecoder(Raw(8, 8), new DecodeLimits { MaxBytes = 100 });
        byte[] png = Encode(Noise(20, 20, seed: 1), SKEncodedImageFormat.Png);

        DecodeResult result = DecodeBytes(png, decoder);

        Assert.Equal(DecodeFailure.TooLarge, result.Failure);
        Assert.Null(result.Format); // rejected before the signature was even looked at
    }

    [Fact]
    public void Files_are_checked_by_content_and_length()
    {
        string directory = Directory.CreateTempSubdirectory("sisom-decode-").FullName;
        try
        {
            string text = Path.Combine(directory, "photo.jpg");
            File.WriteAllText(text, "This is a text file that claims to be a JPEG by its name.\n");
            string big = Path.Combine(directory, "big.png");
            File.WriteAllBytes(big, Encode(Noise(20, 20, seed: 2), SKEncodedImageFormat.Png));
            var tensor = new float[Decoder.Normalization.TensorLength];
            var small = new ImageDecoder(Raw(8, 8), new DecodeLimits { MaxBytes = 100 });

            Assert.Equal(DecodeFailure.UnsupportedFormat, Decoder.DecodeFile(text, tensor).Failure);
            Assert.Equal("unsupported_format", Decoder.DecodeFile(text, tensor).FailureCode);
            Assert.Equal(DecodeFailure.TooLarge, small.DecodeFile(big, tensor).Failure);
            Assert.True(Decoder.DecodeFile(big, tensor).Success);
            Assert.Throws<FileNotFoundException>(() => Decoder.DecodeFile(Path.Combine(directory, "missing.jpg"), tensor));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_destination_of_the_wrong_length_is_a_programmer_error()
    {
        byte[] png = Encode(Halves(8, 8, Red, Blue), SKEncodedImageFormat.Png);

        Assert.Throws<ArgumentException>("destination", () => Decoder.Decode(png, new float[3 * 8 * 8 - 1]));
        Assert.Throws<ArgumentException>("destination", () => Decoder.Decode([], new float[1]));
    }

    [Fact]
    public void Failure_codes_are_stable_and_round_trip()
    {
        Assert.Equal(
            ["corrupt", "truncated", "too_large", "unsupported_format", "empty"],
            Enum.GetValues<DecodeFailure>().Select(f => f.ToCode()));
        foreach (DecodeFailure failure in Enum.GetValues<DecodeFailure>())
        {
            Assert.True(DecodeFailureCodes.TryParse(failure.ToCode(), out DecodeFailure parsed));
            Assert.Equal(failure, parsed);
        }

        Assert.False(DecodeFailureCodes.TryParse("Corrupt", out _));
        Assert.False(default(DecodeResult).Success);
    }
}
