using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Reference;

namespace SisomCluster.Core.Scoring;

/// <summary>
/// α of one intermediate layer by the paper's latent-space analysis (SISOM.md §3.4), layer by layer: for every α of
/// the grid, the layer's states s_j(α) of the reference items form a latent space of their own; r_avg is the mean
/// leave-one-out distance ratio there (the same ratios, margins and eligibility rules as α_pen's search); the α with
/// the smallest r_avg wins, ties going to the smaller α. Choosing each layer on its own keeps the search linear in the
/// number of layers (the Cartesian product of the grids is not searched).
/// </summary>
public static class LayerAlphaSearch
{
    /// <summary>The default grid for intermediate layers: the reference configurations use 0.001 … 3 000 (SISOM.md §3.3).</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = [0.001, 0.01, 0.1, 1, 10, 100, 1_000, 10_000];

    /// <param name="grid">The α values to try.</param>
    /// <param name="statesAt">The layer's states of the reference items (rows as <paramref name="labels"/>) at a given α.</param>
    /// <param name="labels">The reference items' labels.</param>
    /// <param name="classCount">K of the head.</param>
    /// <param name="search">Neighbour search options.</param>
    public static LayerAlphaChoice Choose(IReadOnlyList<double> grid, Func<double, FeatureMatrix> statesAt, int[] labels, int classCount, NeighbourSearchOptions? search = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(statesAt);
        ArgumentNullException.ThrowIfNull(labels);
        if (grid.Count == 0)
        {
            throw new ArgumentException("The alpha grid is empty.", nameof(grid));
        }

        foreach (double alpha in grid)
        {
            States.NeuronStates.ValidateAlpha(alpha);
        }

        search ??= NeighbourSearchOptions.Default;
        (Evaluated best, IReadOnlyList<AlphaCandidate> candidates) = AlphaSearch.Minimise(
            grid,
            alpha => Evaluate(alpha, statesAt(alpha), labels, classCount, search),
            evaluated => evaluated.RAvg,
            nameof(statesAt));
        return new LayerAlphaChoice(best.Alpha, candidates);
    }

    private static Evaluated Evaluate(double alpha, FeatureMatrix states, int[] labels, int classCount, NeighbourSearchOptions search)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Rows != labels.Length)
        {
            throw new InvalidOperationException($"The layer states at alpha {alpha} have {states.Rows} rows for {labels.Length} labels.");
        }

        var reference = new ReferenceSet(states, labels, classCount, margins: null, search);
        double[] ratios = ScoringContext.LeaveOneOutRatios(reference, search).Ratio;
        (double rAvg, double sdR, int n) = IdStatistics.MeanSd(ratios, finiteOnly: true);
        if (n < 2)
        {
            throw new ArgumentException($"The layer states at alpha {alpha} yield {n} finite leave-one-out ratio(s); at least 2 are needed.", nameof(states));
        }

        if (!(sdR > 0))
        {
            throw new ArgumentException($"All leave-one-out ratios of the layer states at alpha {alpha} are equal (sd_r = 0): saturated states.", nameof(states));
        }

        return new Evaluated(alpha, rAvg);
    }

    private sealed record Evaluated(double Alpha, double RAvg);
}
