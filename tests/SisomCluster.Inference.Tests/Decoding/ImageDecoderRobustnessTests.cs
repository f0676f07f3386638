using SisomCluster.Inference.Decoding;
using SkiaSharp;
using Xunit;
using static SisomCluster.Inference.Tests.Decoding.EncodedImages;
using static SisomCluster.Inference.Tests.Decoding.TensorAssert;

namespace SisomCluster.Inference.Tests.Decoding;

/// <summary>Fuzzed inputs never throw, and parallel decoding is deterministic.</summary>
public sealed class ImageDecoderRobustnessTests
{
    private static void AssertTyped(DecodeResult result, float[] tensor)
    {
        Assert.True(result.Success ^ result.Failure.HasValue);
        Assert.True(result.Success || Enum.IsDefined(result.Failure!.Value));
        Assert.All(tensor, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20240601);
        var decoder = new ImageDecoder(Raw(16, 16));
        var tensor = new float[decoder.Normalization.TensorLength];
        byte[][] signatures = [[0xFF, 0xD8, 0xFF], [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], "GIF89a"u8.ToArray(), "BM"u8.ToArray(), [], []];
        for (int i = 0; i < 200; i++)
        {
            // Some start with a real signature so the fuzz reaches the codecs, not only the sniffer.
            byte[] prefix = signatures[i % signatures.Length];
            var bytes = new byte[random.Next(0, 3000)];
            random.NextBytes(bytes);
            prefix.AsSpan(0, Math.Min(prefix.Length, bytes.Length)).CopyTo(bytes);

            AssertTyped(decoder.Decode(bytes, tensor), tensor);
        }
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("webp")]
    [InlineData("gif")]
    [InlineData("bmp")]
    public void Mutated_images_never_throw(string format)
    {
        using SKBitmap bitmap = format == "gif" ? Halves(48, 40, Red, Blue) : Noise(48, 40, seed: 9);
        byte[] valid = Encode(bitmap, format);
        var random = new Random(format.Length * 7919);
        var decoder = new ImageDecoder(Raw(16, 16));
        var tensor = new float[decoder.Normalization.TensorLength];
        for (int i = 0; i < 200; i++)
        {
            byte[] bytes = Mutate(valid, random);
            AssertTyped(decoder.Decode(bytes, tensor), tensor);
        }
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("webp")]
    [InlineData("gif")]
    [InlineData("bmp")]
    public void Every_prefix_of_a_valid_file_is_a_typed_result(string format)
    {
        byte[] valid = Encode(Halves(16, 16, Red, Blue), format);
        var decoder = new ImageDecoder(Raw(8, 8));
        var tensor = new float[decoder.Normalization.TensorLength];
        for (int length = 1; length < valid.Length; length++)
        {
            DecodeResult result = decoder.Decode(valid.AsSpan(0, length), tensor);

            AssertTyped(result, tensor);
            // One byte is too little to recognise anything (unsupported); up to 12 the header is incomplete.
            if (length is >= 2 and < 12)
            {
                Assert.Equal(DecodeFailure.Truncated, result.Failure);
            }
        }
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        byte[] bytes = (byte[])valid.Clone();
        switch (random.Next(4))
        {
            case 0: // flip a few bytes anywhere, headers included
                for (int k = random.Next(1, 8); k > 0; k--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1: // cut anywhere
                return bytes[..random.Next(bytes.Length)];
            case 2: // overwrite a run with noise
                int start = random.Next(bytes.Length);
                random.NextBytes(bytes.AsSpan(start, Math.Min(random.Next(1, 64), bytes.Length - start)));
                return bytes;
            default: // duplicate a slice (shifts everything after it)
                int from = random.Next(bytes.Length);
                int length = Math.Min(random.Next(1, 32), bytes.Length - from);
                return [.. bytes.AsSpan(0, from + length), .. bytes.AsSpan(from)];
        }
    }

    [Fact]
    public async Task Parallel_decodes_are_identical()
    {
        byte[] jpeg = Encode(Noise(300, 200, seed: 5), SKEncodedImageFormat.Jpeg);
        byte[] gif = Encode(Halves(90, 60, Red, Blue), "gif");
        var decoder = new ImageDecoder(Raw(64, 64, ResizeMode.IsoCrop));
        var other = new ImageDecoder(Raw(24, 32, ResizeMode.Stretch, ChannelOrder.Bgr));
        float[] expected = Decode(decoder, jpeg);
        float[] expectedOther = Decode(other, gif);

        int[] mismatches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            int bad = 0;
            var tensor = new float[decoder.Normalization.TensorLength];
            var otherTensor = new float[other.Normalization.TensorLength];
            for (int i = 0; i < 50; i++)
            {
                // Two decoders of different sizes on one thread also exercise the per-thread target's re-creation.
                bad += decoder.Decode(jpeg, tensor).Success && tensor.AsSpan().SequenceEqual(expected) ? 0 : 1;
                bad += other.Decode(gif, otherTensor).Success && otherTensor.AsSpan().SequenceEqual(expectedOther) ? 0 : 1;
            }

            return bad;
        })));

        Assert.All(mismatches, m => Assert.Equal(0, m));
    }
}
