namespace SisomCluster.Core.States;

/// <summary>Numerically stable sigmoid, log-sum-exp and softmax (α can be in the thousands: SISOM.md §3.1).</summary>
public static class StableMath
{
    /// <summary>σ(x) = 1 / (1 + e^{−x}), evaluated without overflow for any finite x.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

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
