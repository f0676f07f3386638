using SisomCluster.Core.Baselines;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Core.Evaluation;

/// <summary>How <see cref="OodBenchmark"/> fits the head, builds the SISOM context and runs KNN.</summary>
public sealed record OodBenchmarkOptions
{
    public LogisticRegressionOptions Head { get; init; } = LogisticRegressionOptions.Default;

    public ScoringContextOptions Scoring { get; init; } = new();

    /// <summary>k of the KNN baseline (Sun et al. 2022 use 50).</summary>
    public int KnnK { get; init; } = KnnScorer.DefaultK;
}
