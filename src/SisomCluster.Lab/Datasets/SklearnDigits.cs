using System.Globalization;
using System.IO.Compression;
using SisomCluster.Inference.Datasets;

namespace SisomCluster.Lab.Datasets;

/// <summary>
/// scikit-learn's handwritten digits (1 797 images of 8×8, values 0–16, UCI), as shipped in the Debian
/// package <c>python3-sklearn</c>: <c>digits.csv.gz</c>, one image per line, 64 pixel values then the label.
/// A far-OOD set for Fashion-MNIST; nothing is downloaded.
/// </summary>
public static class SklearnDigits
{
    public const string DefaultPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
    public const int Side = 8;

    /// <summary>
    /// The first <paramref name="count"/> digits upscaled to <paramref name="side"/>×<paramref name="side"/>: values ×255/16,
    /// each source pixel a block of ⌊side/8⌋² pixels, centred on a black border (24×24 digit in 28×28, like MNIST's padding).
    /// </summary>
    public static GreyImageSet Load(int count, int side = FashionMnist.Side, string path = DefaultPath)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(side, Side);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The scikit-learn digits are not at {path}: install the Debian package python3-sklearn (apt-get install -y python3-sklearn).", path);
        }

        int scale = side / Side;
        int border = (side - (scale * Side)) / 2;
        var pixels = new byte[count * side * side];
        var labels = new int[count];
        int n = 0;
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        for (int line = 1; n < count && reader.ReadLine() is { } text; line++)
        {
            string[] fields = text.Split(',');
            if (fields.Length != (Side * Side) + 1)
            {
                throw new InvalidDataException($"{path} line {line}: {fields.Length} fields, expected {(Side * Side) + 1}.");
            }

            Span<byte> image = pixels.AsSpan(n * side * side, side * side);
            for (int p = 0; p < Side * Side; p++)
            {
                if (!int.TryParse(fields[p], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v is < 0 or > 16)
                {
                    throw new InvalidDataException($"{path} line {line}: pixel {p} = '{fields[p]}' is not an integer 0..16.");
                }

                byte grey = (byte)Math.Round(v * 255.0 / 16);
                int row = border + ((p / Side) * scale);
                int column = border + ((p % Side) * scale);
                for (int dy = 0; dy < scale; dy++)
                {
                    image.Slice(((row + dy) * side) + column, scale).Fill(grey);
                }
            }

            labels[n++] = int.Parse(fields[^1], CultureInfo.InvariantCulture);
        }

        if (n < count)
        {
            throw new InvalidDataException($"{path} holds {n} digits, {count} were asked for.");
        }

        return new GreyImageSet("digits", pixels, labels, side);
    }
}
