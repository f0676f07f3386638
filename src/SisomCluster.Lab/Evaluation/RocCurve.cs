namespace SisomCluster.Lab.Evaluation;

/// <summary>
/// The ROC curve of an OOD score, OpenOOD convention (OOD = positive, higher = more OOD): one point per
/// distinct threshold t, flagging score ≥ t, from (0, 0) to (1, 1). Tied scores move both rates in one step,
/// so the trapezoidal area under these points equals <see cref="OodMetrics.Auroc"/> (ties counted ½).
/// </summary>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate)
{
    public static RocCurve Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isOod)
    {
        if (scores.Length != isOod.Length)
        {
            throw new ArgumentException($"{scores.Length} scores for {isOod.Length} labels.", nameof(isOod));
        }

        var order = new int[scores.Length];
        int positives = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (double.IsNaN(scores[i]))
            {
                throw new ArgumentException($"scores[{i}] is NaN.", nameof(scores));
            }

            order[i] = i;
            positives += isOod[i] ? 1 : 0;
        }

        int negatives = scores.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException($"A ROC curve needs both ID and OOD items (got {negatives} ID, {positives} OOD).", nameof(isOod));
        }

        double[] s = scores.ToArray();
        Array.Sort(s.Select(v => -v).ToArray(), order);
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        int tp = 0;
        int fp = 0;
        for (int i = 0; i < order.Length;)
        {
            double t = s[order[i]];
            while (i < order.Length && s[order[i]] == t)
            {
                if (isOod[order[i]])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }

                i++;
            }

            fpr.Add(fp / (double)negatives);
            tpr.Add(tp / (double)positives);
        }

        return new RocCurve([.. fpr], [.. tpr]);
    }

    /// <summary>The trapezoidal area under the points.</summary>
    public double Area()
    {
        double area = 0;
        for (int i = 1; i < FalsePositiveRate.Length; i++)
        {
            area += (FalsePositiveRate[i] - FalsePositiveRate[i - 1]) * (TruePositiveRate[i] + TruePositiveRate[i - 1]) / 2;
        }

        return area;
    }

    /// <summary>
    /// At most <paramref name="maxPoints"/> points for plotting: the curve is a staircase of monotone
    /// points, so keeping every ⌈n/max⌉-th point plus the last bounds the drawing error by that step.
    /// </summary>
    public RocCurve Thin(int maxPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 2);
        int n = FalsePositiveRate.Length;
        if (n <= maxPoints)
        {
            return this;
        }

        int step = (n + maxPoints - 2) / (maxPoints - 1);
        var keep = new List<int>();
        for (int i = 0; i < n - 1; i += step)
        {
            keep.Add(i);
        }

        keep.Add(n - 1);
        return new RocCurve(keep.Select(i => FalsePositiveRate[i]).ToArray(), keep.Select(i => TruePositiveRate[i]).ToArray());
    }
}
