namespace SisomCluster.Core.Scoring;

/// <summary>
/// The latent-space analysis of SISOM.md §3.4, shared by α_pen (<see cref="ScoringContext.Build"/>) and the
/// intermediate layers (<see cref="LayerAlphaSearch"/>): evaluate every α of the grid in ascending order and keep
/// the one with minimal r_avg on the ID set; ties go to the smaller α. A grid point whose statistics are undefined
/// (it throws <see cref="ArgumentException"/>) is recorded as ineligible when the grid has more than one point.
/// </summary>
internal static class AlphaSearch
{
    public static (T Best, IReadOnlyList<AlphaCandidate> Candidates) Minimise<T>(IReadOnlyList<double> grid, Func<double, T> evaluate, Func<T, double> rAvg, string parameterName)
        where T : class
    {
        double[] ordered = grid.Order().ToArray();
        var candidates = new List<AlphaCandidate>(ordered.Length);
        T? best = null;
        double bestRAvg = double.NaN;
        ArgumentException? lastError = null;
        foreach (double alpha in ordered)
        {
            T? evaluated = null;
            string? reason = null;
            try
            {
                evaluated = evaluate(alpha);
            }
            catch (ArgumentException e) when (ordered.Length > 1)
            {
                // A degenerate grid point (e.g. saturated states, σ_r = 0) cannot be chosen; others may.
                lastError = e;
                reason = e.Message;
            }

            double value = evaluated is null ? double.NaN : rAvg(evaluated);
            candidates.Add(new AlphaCandidate(alpha, value, evaluated is not null, reason));
            if (evaluated is not null && (best is null || value < bestRAvg))
            {
                best = evaluated;
                bestRAvg = value;
            }
        }

        if (best is null)
        {
            throw new ArgumentException($"No alpha in the grid gives defined ID statistics: {lastError?.Message}", parameterName, lastError);
        }

        return (best, candidates);
    }
}
