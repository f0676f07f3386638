namespace SisomCluster.Core.Scoring;

/// <summary>SISOM and SISOMe from r and E (SISOM.md §7).</summary>
public static class ScoreFormulas
{
    /// <summary>s = (r − r_avg) / σ_r; +∞ when r is +∞.</summary>
    public static double Sisom(double ratio, IdStatistics stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return double.IsPositiveInfinity(ratio) ? double.PositiveInfinity : (ratio - stats.RAvg) / stats.SdR;
    }

    /// <summary>
    /// s_e = w·(E − μ_E)/σ_E + (1 − w)·(r − r_avg)/σ_r. At w = 1 the ratio term is dropped entirely,
    /// so an infinite r does not become ∞·0.
    /// </summary>
    public static double Sisome(double ratio, double energy, double weight, IdStatistics stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        double energyTerm = (energy - stats.MuE) / stats.SdE;
        if (weight >= 1)
        {
            return energyTerm;
        }

        double ratioTerm = Sisom(ratio, stats);
        return double.IsPositiveInfinity(ratioTerm) ? double.PositiveInfinity : (weight * energyTerm) + ((1 - weight) * ratioTerm);
    }

    /// <summary>E = −logsumexp(l), temperature 1.</summary>
    public static double Energy(ReadOnlySpan<float> logits)
    {
        Span<double> l = logits.Length <= 256 ? stackalloc double[logits.Length] : new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            l[i] = logits[i];
        }

        return -States.StableMath.LogSumExp(l);
    }

    /// <summary>The self-balancing weight w = min(r_avg, 1).</summary>
    public static double SelfBalancingWeight(IdStatistics stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return Math.Min(stats.RAvg, 1.0);
    }
}
