namespace SisomCluster.Core.Evaluation;

/// <summary>Wilson score interval for a binomial proportion (SISOM.md §8.2: OOD rate per window).</summary>
public readonly record struct WilsonInterval(double Rate, double Lower, double Upper)
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    public static WilsonInterval Compute(long successes, long trials, double z = Z95)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentException($"Need 0 <= successes <= trials, got {successes} of {trials}.", nameof(successes));
        }

        if (!(z > 0) || double.IsInfinity(z))
        {
            throw new ArgumentException($"z = {z} must be positive and finite.", nameof(z));
        }

        if (trials == 0)
        {
            return new WilsonInterval(double.NaN, 0, 1);
        }

        double n = trials;
        double p = successes / n;
        double z2 = z * z;
        double denominator = 1 + (z2 / n);
        double centre = (p + (z2 / (2 * n))) / denominator;
        double half = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / denominator;
        return new WilsonInterval(p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Drift (SISOM.md §8.2): a bucket of <paramref name="scored"/> items drifts when the OOD rate expected of
    /// in-distribution data, 1 − q, lies outside its interval [<paramref name="lower"/>, <paramref name="upper"/>].
    /// </summary>
    public static bool IsDrift(long scored, double lower, double upper, double quantile)
    {
        double expected = 1 - quantile;
        return scored > 0 && (expected < lower || expected > upper);
    }
}
