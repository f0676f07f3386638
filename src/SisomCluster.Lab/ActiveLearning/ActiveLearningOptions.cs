using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Lab.ActiveLearning;

/// <summary>The schedule of a pool-based active-learning simulation and the models refitted each round.</summary>
public sealed record ActiveLearningOptions
{
    /// <summary>Labels drawn at random from the in-distribution pool items before the first round.</summary>
    public int InitialLabels { get; init; } = 100;

    /// <summary>Query rounds after the initial fit.</summary>
    public int Rounds { get; init; } = 8;

    /// <summary>Items queried per round (B).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>M = factor·B for <see cref="QueryStrategy.SisomDiversity"/>.</summary>
    public double DiversityFactor { get; init; } = 4;

    /// <summary>The run's OOD score (sisom, sisome, knn, energy) whose flag at q the production selections exclude.</summary>
    public string OodScore { get; init; } = OodScores.Default;

    /// <summary>The guarded selection's gate score (<see cref="Core.Selection.SelectionGates.DefaultScore"/>).</summary>
    public string GateScore { get; init; } = Core.Selection.SelectionGates.DefaultScore;

    /// <summary>The guarded selection's gate quantile (<see cref="Core.Selection.SelectionGates.DefaultQuantile"/>).</summary>
    public double GateQuantile { get; init; } = Core.Selection.SelectionGates.DefaultQuantile;

    public LogisticRegressionOptions Head { get; init; } = LogisticRegressionOptions.Default;

    public ScoringContextOptions Scoring { get; init; } = new();

    internal void Validate()
    {
        if (InitialLabels < 1 || Rounds < 1 || BatchSize < 1)
        {
            throw new ArgumentException($"Active learning needs initial labels, rounds and batch size >= 1 (got {InitialLabels}, {Rounds}, {BatchSize}).", nameof(InitialLabels));
        }

        if (!(DiversityFactor >= 1 && double.IsFinite(DiversityFactor)))
        {
            throw new ArgumentException($"The diversity factor must be >= 1, got {DiversityFactor}.", nameof(DiversityFactor));
        }

        if (!OodScores.IsKnown(OodScore) || !OodScores.IsKnown(GateScore))
        {
            throw new ArgumentException($"The OOD score and the gate score must be one of {string.Join(", ", OodScores.All)} (got '{OodScore}', '{GateScore}').", nameof(OodScore));
        }

        if (!(GateQuantile > 0 && GateQuantile < 1))
        {
            throw new ArgumentException($"The gate quantile must lie in (0, 1), got {GateQuantile}.", nameof(GateQuantile));
        }

        ArgumentNullException.ThrowIfNull(Head);
        ArgumentNullException.ThrowIfNull(Scoring);
    }
}
