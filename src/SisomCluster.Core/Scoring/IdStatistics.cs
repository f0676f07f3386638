namespace SisomCluster.Core.Scoring;

/// <summary>Statistics of r and of the energy on the ID set (SISOM.md §6); sample standard deviations (n − 1).</summary>
public sealed record IdStatistics(double RAvg, double SdR, double MuE, double SdE, int RatioCount, int EnergyCount)
{
    /// <summary>
    /// r_avg and σ_r over the finite ratios, μ_E and σ_E over all energies. Throws when fewer than two
    /// finite ratios exist or a spread is zero: scores would be undefined, not merely poor.
    /// </summary>
    public static IdStatistics Compute(ReadOnlySpan<double> ratios, ReadOnlySpan<double> energies)
    {
        (double rAvg, double sdR, int nR) = MeanSd(ratios, finiteOnly: true);
        (double muE, double sdE, int nE) = MeanSd(energies, finiteOnly: false);
        if (nR < 2)
        {
            throw new ArgumentException(
                $"The reference set yields {nR} finite leave-one-out ratio(s); at least 2 are needed (a class needs >= 2 labeled items to give one).",
                nameof(ratios));
        }

        if (!(sdR > 0))
        {
            throw new ArgumentException("All leave-one-out ratios of the reference set are equal (sd_r = 0); SISOM is undefined. Check for duplicated reference items or a saturated alpha.", nameof(ratios));
        }

        if (!(sdE > 0))
        {
            throw new ArgumentException("All reference energies are equal (sd_E = 0); SISOMe is undefined.", nameof(energies));
        }

        return new IdStatistics(rAvg, sdR, muE, sdE, nR, nE);
    }

    internal static (double Mean, double Sd, int Count) MeanSd(ReadOnlySpan<double> values, bool finiteOnly)
    {
        double sum = 0;
        int n = 0;
        foreach (double v in values)
        {
            if (!finiteOnly || double.IsFinite(v))
            {
                sum += v;
                n++;
            }
        }

        if (n == 0)
        {
            return (double.NaN, double.NaN, 0);
        }

        double mean = sum / n;
        double ss = 0;
        foreach (double v in values)
        {
            if (!finiteOnly || double.IsFinite(v))
            {
                ss += (v - mean) * (v - mean);
            }
        }

        return (mean, n > 1 ? Math.Sqrt(ss / (n - 1)) : double.NaN, n);
    }
}
