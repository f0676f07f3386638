using SisomCluster.Core.States;

namespace SisomCluster.Core.Baselines;

/// <summary>
/// Logit-based OOD baselines from the same forward pass (SISOM.md §7), each oriented so that a
/// higher value means more OOD / more informative.
/// </summary>
public readonly record struct LogitBaselines(double Msp, double MaxLogit, double Energy, double Entropy, double Margin)
{
    public static LogitBaselines Compute(ReadOnlySpan<float> logits)
    {
        if (logits.Length < 2)
        {
            throw new ArgumentException($"Baselines need K >= 2 logits, got {logits.Length}.", nameof(logits));
        }

        Span<double> l = logits.Length <= 256 ? stackalloc double[logits.Length] : new double[logits.Length];
        Span<double> p = logits.Length <= 256 ? stackalloc double[logits.Length] : new double[logits.Length];
        double max = double.NegativeInfinity;
        for (int i = 0; i < l.Length; i++)
        {
            if (!float.IsFinite(logits[i]))
            {
                throw new ArgumentException($"logits[{i}] = {logits[i]} is not finite.", nameof(logits));
            }

            l[i] = logits[i];
            max = Math.Max(max, l[i]);
        }

        double lse = StableMath.Softmax(l, p);
        double p1 = 0;
        double p2 = 0;
        double entropy = 0;
        foreach (double pi in p)
        {
            if (pi > p1)
            {
                p2 = p1;
                p1 = pi;
            }
            else if (pi > p2)
            {
                p2 = pi;
            }

            if (pi > 0)
            {
                entropy -= pi * Math.Log(pi);
            }
        }

        return new LogitBaselines(Msp: 1 - p1, MaxLogit: -max, Energy: -lse, Entropy: entropy, Margin: -(p1 - p2));
    }
}
