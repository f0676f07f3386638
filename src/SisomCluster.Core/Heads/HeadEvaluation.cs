using System.Numerics.Tensors;
using SisomCluster.Core.States;

namespace SisomCluster.Core.Heads;

/// <summary>Predictions and accuracy of a linear head on raw features (SISOM.md §2: ŷ = argmax l, lowest index on ties).</summary>
public static class HeadEvaluation
{
    /// <summary>ŷ for every row of <paramref name="features"/>; logits are evaluated in double.</summary>
    public static int[] Predict(LinearHead head, FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != head.FeatureDimension)
        {
            throw new ArgumentException($"features have D = {features.Columns}, the head expects D = {head.FeatureDimension}.", nameof(features));
        }

        features.EnsureFinite(nameof(features));
        int d = head.FeatureDimension;
        var predictions = new int[features.Rows];
        var row = new double[d];
        for (int i = 0; i < features.Rows; i++)
        {
            ReadOnlySpan<float> h = features.Row(i);
            for (int j = 0; j < d; j++)
            {
                row[j] = h[j];
            }

            int best = 0;
            double bestLogit = double.NegativeInfinity;
            for (int k = 0; k < head.ClassCount; k++)
            {
                double logit = TensorPrimitives.Dot(head.Weights.AsSpan(k * d, d), row) + head.Bias[k];

                // Strictly greater: on a tie the earlier (lower) class index stays.
                if (logit > bestLogit)
                {
                    best = k;
                    bestLogit = logit;
                }
            }

            predictions[i] = best;
        }

        return predictions;
    }

    /// <summary>The fraction of rows whose prediction equals the label.</summary>
    public static double Accuracy(LinearHead head, FeatureMatrix features, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rows == 0)
        {
            throw new ArgumentException("features has no rows; accuracy is undefined.", nameof(features));
        }

        if (labels.Length != features.Rows)
        {
            throw new ArgumentException($"labels has {labels.Length} entries, features has {features.Rows} rows.", nameof(labels));
        }

        Guard.Labels(labels, head.ClassCount, nameof(labels));
        int[] predictions = Predict(head, features);
        int correct = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            if (predictions[i] == labels[i])
            {
                correct++;
            }
        }

        return (double)correct / predictions.Length;
    }
}
