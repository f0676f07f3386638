using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace SisomCluster.Inference.Datasets;

/// <summary>
/// Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c> (70 000 labelled 28×28 grey images, MIT):
/// the gzip-compressed IDX files in <c>/usr/share/datasets/fashion-mnist/</c>. Used by tests, the demo
/// and the evaluations; nothing is downloaded.
/// </summary>
public sealed class FashionMnist
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";
    public const int Side = 28;

    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private FashionMnist(byte[] pixels, byte[] labels)
    {
        Pixels = pixels;
        Labels = labels;
    }

    public int Count => Labels.Length;

    /// <summary>Count × 28 × 28 grey values, row-major, 0 = background.</summary>
    public byte[] Pixels { get; }

    public byte[] Labels { get; }

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Side * Side, Side * Side);

    /// <summary>Image <paramref name="index"/> as an 8-bit greyscale PNG (how pools of real files are built from it).</summary>
    public byte[] EncodePng(int index)
    {
        var info = new SKImageInfo(Side, Side, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Image(index).CopyTo(bitmap.GetPixelSpan());
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Loads the training (60 000) or test (10 000) split, optionally only the first <paramref name="limit"/> images.</summary>
    public static FashionMnist Load(bool train, int? limit = null, string directory = DefaultDirectory)
    {
        string prefix = train ? "train" : "t10k";
        string images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        string labels = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labels))
        {
            throw new FileNotFoundException($"Fashion-MNIST is not in {directory}: install the Debian package dataset-fashion-mnist (deploy/local/services.sh up does).", images);
        }

        byte[] labelData = ReadIdx(labels, expectedMagic: 0x00000801, out int[] labelDims, limit);
        byte[] imageData = ReadIdx(images, expectedMagic: 0x00000803, out int[] imageDims, limit);
        if (imageDims[1] != Side || imageDims[2] != Side || imageDims[0] != labelDims[0])
        {
            throw new InvalidDataException($"{images}: unexpected IDX dimensions {string.Join("x", imageDims)} for {labelDims[0]} labels.");
        }

        return new FashionMnist(imageData, labelData);
    }

    private static byte[] ReadIdx(string path, int expectedMagic, out int[] dims, int? limit)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        Span<byte> word = stackalloc byte[4];
        gzip.ReadExactly(word);
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
        {
            throw new InvalidDataException($"{path}: IDX magic 0x{magic:x8}, expected 0x{expectedMagic:x8}.");
        }

        dims = new int[magic & 0xff];
        for (int i = 0; i < dims.Length; i++)
        {
            gzip.ReadExactly(word);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
        }

        if (limit is { } n)
        {
            dims[0] = Math.Min(dims[0], n);
        }

        long length = dims.Aggregate(1L, (a, d) => a * d);
        var data = new byte[length];
        gzip.ReadExactly(data);
        return data;
    }
}
