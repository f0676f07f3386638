namespace SisomCluster.Core.States;

/// <summary>Numerically stable log-sum-exp and softmax (the sigmoid of the states is TensorPrimitives.Sigmoid, which saturates to 0 and 1).</summary>
public static class StableMath
{
    public static double LogSumExp(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (double v in values)
        {
            sum += Math.Exp(v - max);
        }

        return max + Math.Log(sum);
    }

    /// <summary>Writes softmax(values) into <paramref name="probabilities"/>; returns log-sum-exp(values).</summary>
    public static double Softmax(ReadOnlySpan<double> values, Span<double> probabilities)
    {
        double lse = LogSumExp(values);
        for (int i = 0; i < values.Length; i++)
        {
            probabilities[i] = Math.Exp(values[i] - lse);
        }

        return lse;
    }
}
