using System.Globalization;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Lab.Bench;

/// <summary>The synthetic stored-embeddings pool of <c>bench rescore</c> and <c>bench chaos</c>.</summary>
internal static class SyntheticEmbeddings
{
    /// <summary>
    /// Gaussian class clusters (10 classes, noise of norm ≈ 2 around means of norm ≈ 4), written in blocks; the first
    /// <paramref name="references"/> rows are the labeled reference. Ids e0000000…, in <c>pool.ids.txt</c> beside the .npy.
    /// </summary>
    public static void Write(string npy, string poolLabels, string referenceNpy, string referenceLabels, int count, int references, int dimension)
    {
        const int K = 10;
        int d = dimension;
        var random = new Random(20261126);
        float[] means = new float[K * d];
        for (int i = 0; i < means.Length; i++)
        {
            means[i] = (float)(Gaussian(random) * 4 / Math.Sqrt(d));
        }

        const int Block = 4096;
        var block = new float[Block * d];
        using var pool = new NpyRowWriter(npy, d);
        using var reference = new NpyRowWriter(referenceNpy, d);
        using var ids = new StreamWriter(Path.Combine(Path.GetDirectoryName(npy)!, Path.GetFileNameWithoutExtension(npy) + ".ids.txt"));
        using var labels = new StreamWriter(poolLabels);
        using var referenceLabelLines = new StreamWriter(referenceLabels);
        for (int start = 0; start < count; start += Block)
        {
            int rows = Math.Min(Block, count - start);
            for (int r = 0; r < rows; r++)
            {
                int row = start + r;
                int label = row % K;
                Span<float> x = block.AsSpan(r * d, d);
                for (int j = 0; j < d; j++)
                {
                    x[j] = means[(label * d) + j] + (float)(Gaussian(random) / Math.Sqrt(d) * 2);
                }

                string id = string.Create(CultureInfo.InvariantCulture, $"e{row:D7}");
                ids.WriteLine(id);
                if (row < references)
                {
                    reference.Append(x);
                    labels.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{id},{label}"));
                    referenceLabelLines.WriteLine(label.ToString(CultureInfo.InvariantCulture));
                }
            }

            pool.Append(block.AsSpan(0, rows * d));
        }

        pool.Commit();
        reference.Commit();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
