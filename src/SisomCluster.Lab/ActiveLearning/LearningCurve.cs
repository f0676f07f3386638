namespace SisomCluster.Lab.ActiveLearning;

/// <summary>Summaries of an active-learning curve: accuracy after each round against labels spent.</summary>
public static class LearningCurve
{
    /// <summary>
    /// The normalised area under the learning curve: the trapezoidal integral of accuracy over labels,
    /// divided by the label range, so it is the mean accuracy over the budget and lies in [0, 1]
    /// (1 = perfect from the first round). Needs ≥ 2 points with strictly increasing label counts.
    /// </summary>
    public static double NormalizedArea(ReadOnlySpan<int> labels, ReadOnlySpan<double> accuracy)
    {
        if (labels.Length != accuracy.Length)
        {
            throw new ArgumentException($"{labels.Length} label counts for {accuracy.Length} accuracies.", nameof(accuracy));
        }

        if (labels.Length < 2)
        {
            throw new ArgumentException($"The area under a learning curve needs at least 2 rounds, got {labels.Length}.", nameof(labels));
        }

        double area = 0;
        for (int i = 1; i < labels.Length; i++)
        {
            if (labels[i] <= labels[i - 1])
            {
                throw new ArgumentException($"labels[{i}] = {labels[i]} does not exceed labels[{i - 1}] = {labels[i - 1]}.", nameof(labels));
            }

            if (!double.IsFinite(accuracy[i]) || !double.IsFinite(accuracy[i - 1]))
            {
                throw new ArgumentException($"accuracy near round {i} is not finite.", nameof(accuracy));
            }

            area += (labels[i] - labels[i - 1]) * (accuracy[i] + accuracy[i - 1]) / 2;
        }

        return area / (labels[^1] - labels[0]);
    }
}
