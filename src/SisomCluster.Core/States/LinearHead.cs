namespace SisomCluster.Core.States;

/// <summary>
/// The final linear layer l = W h + b (SISOM.md §2). W is K×D row-major, kept in double: at α in the
/// thousands, rounding W to float32 alone moves the states by ~1e-4. The mean class-weight row
/// w̄ = (1/K) Σ_k W_k (SISOM.md §3.1) is a model constant and is computed once here.
/// </summary>
public sealed class LinearHead
{
    public LinearHead(double[] weights, double[] bias, int classCount, int featureDimension)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        if (classCount < 2)
        {
            throw new ArgumentException($"A classifier head needs K >= 2 classes, got K = {classCount}.", nameof(classCount));
        }

        if (featureDimension < 1)
        {
            throw new ArgumentException($"Feature dimension must be >= 1, got {featureDimension}.", nameof(featureDimension));
        }

        if (weights.Length != (long)classCount * featureDimension)
        {
            throw new ArgumentException($"Head weights have {weights.Length} values, expected K x D = {classCount} x {featureDimension}.", nameof(weights));
        }

        if (bias.Length != classCount)
        {
            throw new ArgumentException($"Head bias has {bias.Length} values, expected K = {classCount}.", nameof(bias));
        }

        EnsureFinite(weights, nameof(weights));
        EnsureFinite(bias, nameof(bias));

        Weights = weights;
        Bias = bias;
        ClassCount = classCount;
        FeatureDimension = featureDimension;
        MeanRow = new double[featureDimension];
        for (int k = 0; k < classCount; k++)
        {
            for (int d = 0; d < featureDimension; d++)
            {
                MeanRow[d] += weights[(k * featureDimension) + d];
            }
        }

        for (int d = 0; d < featureDimension; d++)
        {
            MeanRow[d] /= classCount;
        }
    }

    /// <summary>W, K×D row-major.</summary>
    public double[] Weights { get; }

    /// <summary>b, length K.</summary>
    public double[] Bias { get; }

    public int ClassCount { get; }

    public int FeatureDimension { get; }

    /// <summary>w̄, the mean of W's rows.</summary>
    internal double[] MeanRow { get; }

    public static LinearHead FromSingle(float[] weights, float[] bias, int classCount, int featureDimension)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        return new LinearHead(Array.ConvertAll(weights, v => (double)v), Array.ConvertAll(bias, v => (double)v), classCount, featureDimension);
    }

    private static void EnsureFinite(double[] values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException($"{paramName}[{i}] = {values[i]}; head parameters must be finite.", paramName);
            }
        }
    }
}
