using SisomCluster.Core.States;

namespace SisomCluster.Core.Tests;

/// <summary>Seeded synthetic data: K Gaussian clusters in D dimensions and a random head that separates them.</summary>
public static class Synthetic
{
    public static (LinearHead Head, FeatureMatrix Features, int[] Labels) Clusters(int seed, int count, int classes, int dimension, double spread = 0.6)
    {
        var random = new Random(seed);
        var centres = new double[classes, dimension];
        for (int c = 0; c < classes; c++)
        {
            for (int d = 0; d < dimension; d++)
            {
                centres[c, d] = random.NextDouble() * 2;
            }
        }

        var data = new float[count * dimension];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % classes;
            for (int d = 0; d < dimension; d++)
            {
                data[(i * dimension) + d] = (float)Math.Max(0, centres[labels[i], d] + (spread * Gaussian(random)));
            }
        }

        var weights = new double[classes * dimension];
        var bias = new double[classes];
        for (int c = 0; c < classes; c++)
        {
            for (int d = 0; d < dimension; d++)
            {
                weights[(c * dimension) + d] = centres[c, d] - 1;
            }
        }

        return (new LinearHead(weights, bias, classes, dimension), new FeatureMatrix(data, count, dimension), labels);
    }

    public static FeatureMatrix Noise(int seed, int count, int dimension, double scale = 2)
    {
        var random = new Random(seed);
        var data = new float[count * dimension];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * scale);
        }

        return new FeatureMatrix(data, count, dimension);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
