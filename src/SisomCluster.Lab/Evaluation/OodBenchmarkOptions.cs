using SisomCluster.Core.Baselines;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;

namespace SisomCluster.Lab.Evaluation;

/// <summary>How <see cref="OodBenchmark"/> fits the head, builds the SISOM context and runs KNN.</summary>
public sealed record OodBenchmarkOptions
{
    public LogisticRegressionOptions Head { get; init; } = LogisticRegressionOptions.Default;

    /// <summary>A classifier's own head (W, b of its final layer), used as is; null fits a head on the labeled items.</summary>
    public LinearHead? FixedHead { get; init; }

    public ScoringContextOptions Scoring { get; init; } = new();

    /// <summary>k of the KNN baseline (Sun et al. 2022 use 50).</summary>
    public int KnnK { get; init; } = KnnScorer.DefaultK;
}
