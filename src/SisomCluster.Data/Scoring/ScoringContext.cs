namespace SisomCluster.Data.Scoring;

/// <summary>
/// Everything a worker needs to score against one reference set, frozen (ARCHITECTURE.md §4): a new model or new labels
/// make a new context, and old and new scores are never mixed in one selection. Names follow SISOM.md.
/// </summary>
public sealed class ScoringContext
{
    public Guid Id { get; set; }

    public Guid PoolId { get; set; }

    public required string ModelVersion { get; set; }

    /// <summary>Identifies the set of labeled item ids the reference set was built from.</summary>
    public required string ReferenceVersion { get; set; }

    public double Alpha { get; set; }

    /// <summary>The layers whose states are combined (JSON array), empty for the penultimate layer only.</summary>
    public string Layers { get; set; } = "[]";

    public double RAvg { get; set; }

    public double SdR { get; set; }

    public double MuE { get; set; }

    public double SdE { get; set; }

    public double SisomeWeight { get; set; }

    public double Quantile { get; set; }

    public double ThresholdSisom { get; set; }

    public double ThresholdSisome { get; set; }

    public int NeighbourRank { get; set; }

    /// <summary>k of the KNN score (SISOM.md §7.1); 0 in contexts stored before KNN was (they are never reused).</summary>
    public int KnnK { get; set; }

    /// <summary>
    /// False for a context built for runs without the KNN baseline (<c>runs.knn</c>): no KNN bank (<see cref="KnnK"/> 0) nor
    /// threshold, but its reference items' features are stored as in any other. True for every other context, including
    /// those stored before KNN was (they have no features and <see cref="KnnK"/> 0). A run reuses only a context of its own kind.
    /// </summary>
    public bool Knn { get; set; } = true;

    /// <summary>τ of KNN from the reference items' leave-one-out KNN scores; null without KNN.</summary>
    public double? ThresholdKnn { get; set; }

    /// <summary>τ of the energy E from the reference items' energies; null in contexts stored before it was.</summary>
    public double? ThresholdEnergy { get; set; }

    public int ClassCount { get; set; }

    public int StateDimension { get; set; }

    /// <summary>Row-major ClassCount × StateDimension, when the head was fitted by the system; null when it is the model's own.</summary>
    public double[]? HeadWeights { get; set; }

    public double[]? HeadBias { get; set; }

    /// <summary>The α values tried when α was tuned (JSON), null when α was given.</summary>
    public string? AlphaGrid { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
