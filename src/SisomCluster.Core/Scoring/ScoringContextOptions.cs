using SisomCluster.Core.Neighbours;

namespace SisomCluster.Core.Scoring;

/// <summary>How a scoring context is built (SISOM.md §3.4, §6, §7, §8.1).</summary>
public sealed record ScoringContextOptions
{
    /// <summary>SISOM.md §3.4: the default grid for the penultimate layer.</summary>
    public static IReadOnlyList<double> DefaultAlphaGrid { get; } = [1, 10, 100, 1_000, 10_000, 100_000];

    /// <summary>A fixed α; null = automatic (minimal r_avg over <see cref="AlphaGrid"/>).</summary>
    public double? Alpha { get; init; }

    public IReadOnlyList<double> AlphaGrid { get; init; } = DefaultAlphaGrid;

    /// <summary>A fixed SISOMe weight w ∈ [0, 1]; null = self-balancing w = min(r_avg, 1).</summary>
    public double? SisomeWeight { get; init; }

    /// <summary>Target ID true-positive rate q for the OOD thresholds.</summary>
    public double Quantile { get; init; } = 0.95;

    /// <summary>1 = nearest same-class reference (the spec); 2 = second nearest (the reference code).</summary>
    public int NeighbourRank { get; init; } = 1;

    /// <summary>k of the KNN score (SISOM.md §7.1); 50 as in Sun et al. and in the evaluations of docs/results.</summary>
    public int KnnK { get; init; } = Baselines.KnnScorer.DefaultK;

    /// <summary>
    /// Whether the context carries the KNN bank and threshold (the default). False skips both O(|T|²) and O(n·|T|) KNN
    /// searches: items then get no KNN score (NaN, never flagged), as with a stored context from before KNN. For SISOM-only
    /// scoring and like-for-like benchmarks; the runs of the cluster always compute it.
    /// </summary>
    public bool ComputeKnn { get; init; } = true;

    public NeighbourSearchOptions Search { get; init; } = NeighbourSearchOptions.Default;

    /// <summary>Precision of states and distances; float32 unless exact agreement with float64 references is needed.</summary>
    public ScoringPrecision Precision { get; init; } = ScoringPrecision.Float32;

    internal void Validate()
    {
        if (Alpha is { } a)
        {
            States.NeuronStates.ValidateAlpha(a);
        }
        else
        {
            if (AlphaGrid is null || AlphaGrid.Count == 0)
            {
                throw new ArgumentException("The alpha grid is empty.", nameof(AlphaGrid));
            }

            foreach (double g in AlphaGrid)
            {
                States.NeuronStates.ValidateAlpha(g);
            }
        }

        if (SisomeWeight is { } w && !(w >= 0 && w <= 1))
        {
            throw new ArgumentException($"sisome weight = {w} must lie in [0, 1].", nameof(SisomeWeight));
        }

        Guard.Quantile(Quantile, nameof(Quantile));
        if (NeighbourRank is < 1 or > 2)
        {
            throw new ArgumentException($"neighbour_rank must be 1 or 2, got {NeighbourRank}.", nameof(NeighbourRank));
        }

        if (KnnK < 1)
        {
            throw new ArgumentException($"KNN k must be >= 1, got {KnnK}.", nameof(KnnK));
        }

        ArgumentNullException.ThrowIfNull(Search);
        Search.Validate();
    }
}
