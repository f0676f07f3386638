namespace SisomCluster.Core.Evaluation;

/// <summary>OOD thresholds (SISOM.md §8.1).</summary>
public static class Thresholds
{
    /// <summary>
    /// τ = the ⌈q·n⌉-th smallest finite value (nearest rank). Non-finite values are ignored: an ID
    /// item with r = +∞ has no defined score to calibrate on.
    /// </summary>
    public static double NearestRank(ReadOnlySpan<double> scores, double q)
    {
        Guard.Quantile(q, nameof(q));
        var finite = new List<double>(scores.Length);
        foreach (double s in scores)
        {
            if (double.IsFinite(s))
            {
                finite.Add(s);
            }
        }

        if (finite.Count == 0)
        {
            throw new ArgumentException("No finite ID score to calibrate a threshold on.", nameof(scores));
        }

        finite.Sort();
        return finite[RankIndex(q, finite.Count)];
    }

    /// <summary>0-based index of the ⌈q·n⌉-th smallest of n values; q·n is rounded to 1e-9 first so that 0.95·20 is 19, not 19.000000000000004.</summary>
    internal static int RankIndex(double q, int n)
    {
        double qn = Math.Round(q * n, 9);
        int rank = (int)Math.Ceiling(qn);
        return Math.Clamp(rank, 1, n) - 1;
    }
}
