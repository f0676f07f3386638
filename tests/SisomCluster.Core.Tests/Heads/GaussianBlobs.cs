namespace SisomCluster.Core.Tests.Heads;

/// <summary>
/// Seeded Gaussian blobs: class c is N(μ_c, I) shifted by a common offset, balanced labels i mod K.
/// With one shared isotropic covariance and equal priors the Bayes rule is "nearest true mean",
/// which is linear, so a logistic-regression head can approach it and <see cref="BayesPredict"/>
/// is the reference to compare against.
/// </summary>
internal sealed class GaussianBlobs
{
    private GaussianBlobs(FeatureMatrix features, int[] labels, double[] means, int classes)
    {
        Features = features;
        Labels = labels;
        Means = means;
        Classes = classes;
    }

    public FeatureMatrix Features { get; }

    public int[] Labels { get; }

    /// <summary>μ_c, K×D row-major (offset included).</summary>
    public double[] Means { get; }

    public int Classes { get; }

    public int Dimension => Features.Columns;

    /// <summary>Means μ_c,d = offset + meanSpread·N(0, 1), noise N(0, 1); distance between two means ≈ meanSpread·√(2D).</summary>
    public static GaussianBlobs Create(int seed, int rows, int classes, int dimension, double meanSpread, double offset = 3)
    {
        var random = new Random(seed);
        var means = new double[classes * dimension];
        for (int i = 0; i < means.Length; i++)
        {
            means[i] = offset + (meanSpread * Normal(random));
        }

        var data = new float[rows * dimension];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = i % classes;
            for (int d = 0; d < dimension; d++)
            {
                data[(i * dimension) + d] = (float)(means[(labels[i] * dimension) + d] + Normal(random));
            }
        }

        return new GaussianBlobs(new FeatureMatrix(data, rows, dimension), labels, means, classes);
    }

    /// <summary>The Bayes rule for this model: nearest true mean (lowest class on ties).</summary>
    public int[] BayesPredict(FeatureMatrix features)
    {
        int dimension = Dimension;
        var predictions = new int[features.Rows];
        for (int i = 0; i < features.Rows; i++)
        {
            ReadOnlySpan<float> row = features.Row(i);
            double best = double.PositiveInfinity;
            for (int c = 0; c < Classes; c++)
            {
                double distance = 0;
                for (int d = 0; d < dimension; d++)
                {
                    double diff = row[d] - Means[(c * dimension) + d];
                    distance += diff * diff;
                }

                if (distance < best)
                {
                    best = distance;
                    predictions[i] = c;
                }
            }
        }

        return predictions;
    }

    /// <summary>The rows of <paramref name="source"/> at <paramref name="indices"/>, in that order.</summary>
    public static FeatureMatrix SelectRows(FeatureMatrix source, int[] indices)
    {
        var data = new float[indices.Length * source.Columns];
        for (int i = 0; i < indices.Length; i++)
        {
            source.Row(indices[i]).CopyTo(data.AsSpan(i * source.Columns, source.Columns));
        }

        return new FeatureMatrix(data, indices.Length, source.Columns);
    }

    public static int[] Select(int[] values, int[] indices) => Array.ConvertAll(indices, i => values[i]);

    public static double Agreement(int[] predictions, int[] labels) =>
        (double)predictions.Zip(labels).Count(pair => pair.First == pair.Second) / labels.Length;

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
