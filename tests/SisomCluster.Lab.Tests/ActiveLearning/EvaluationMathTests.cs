using SisomCluster.Core;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Tests;
using SisomCluster.Lab.ActiveLearning;
using SisomCluster.Lab.Evaluation;
using Xunit;

namespace SisomCluster.Lab.Tests.ActiveLearning;

/// <summary>The small pieces of the evaluations against values computed by hand (OodMetrics' own: Core.Tests EvaluationTests).</summary>
public sealed class EvaluationMathTests
{
    private static readonly double[] HandScores = [0.1, 0.4, 0.35, 0.8, 0.9, 0.4, 0.7];
    private static readonly bool[] HandIsOod = [false, false, false, false, true, true, true];

    [Fact]
    public void Mean_std_uses_the_sample_standard_deviation()
    {
        MeanStd m = MeanStd.Of([1, 2, 3, 4]);
        Assert.Equal(2.5, m.Mean);
        Tolerance.Close(Math.Sqrt(5.0 / 3.0), m.Std, "std");
        Assert.Equal("2.500 ± 1.291", m.Format());
        Assert.Equal(0, MeanStd.Of([0.7]).Std);
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([1, double.NaN]));
    }

    [Fact]
    public void Learning_curve_area_is_the_trapezoid_mean_over_the_label_range()
    {
        // (100·(0.5 + 0.7)/2 + 200·(0.7 + 0.9)/2) / 300 = 220 / 300.
        Tolerance.Close(220.0 / 300.0, LearningCurve.NormalizedArea([100, 200, 400], [0.5, 0.7, 0.9]), "area");
        Assert.Equal(0.8, LearningCurve.NormalizedArea([1, 2], [0.8, 0.8]), 12);
        Assert.Throws<ArgumentException>(() => LearningCurve.NormalizedArea([100, 100], [0.5, 0.6]));
        Assert.Throws<ArgumentException>(() => LearningCurve.NormalizedArea([100], [0.5]));
    }

    [Fact]
    public void Roc_curve_steps_over_ties_and_its_area_is_the_auroc()
    {
        RocCurve roc = RocCurve.Compute(HandScores, HandIsOod);
        Assert.Equal([0, 0, 0.25, 0.25, 0.5, 0.75, 1], roc.FalsePositiveRate);
        Assert.Equal([0, 1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1, 1], roc.TruePositiveRate);
        Tolerance.Close(OodMetrics.Compute(HandScores, HandIsOod).Auroc, roc.Area(), "area");

        RocCurve thin = roc.Thin(3);
        Assert.True(thin.FalsePositiveRate.Length <= 4);
        Assert.Equal(0, thin.FalsePositiveRate[0]);
        Assert.Equal(1, thin.FalsePositiveRate[^1]);
        Assert.Throws<ArgumentException>(() => RocCurve.Compute([0.1, 0.2], [false, false]));
    }

    [Fact]
    public void K_center_greedy_takes_the_farthest_point_from_the_centres_each_time()
    {
        // Points on a line at 0, 1, 2, 10, 11; row 0 is labeled.
        var points = new FeatureMatrix([0, 1, 2, 10, 11], 5, 1);

        // 11 is farthest from 0; then 2 (distance 2) beats 1 (1) and 10 (now 1 from 11).
        Assert.Equal([4, 2], KCenterGreedy.Select(points, [0], [1, 2, 3, 4], 2));

        // No centres: every distance is +∞, the first candidate wins the tie; then the farthest from it.
        Assert.Equal([3, 0], KCenterGreedy.Select(points, [], [3, 0, 1], 2));
        Assert.Equal([2, 1], KCenterGreedy.Select(points, [0], [1, 2], 5));
        Assert.Throws<ArgumentException>(() => KCenterGreedy.Select(points, [7], [1], 1));
    }

    [Fact]
    public void Top_by_score_breaks_ties_by_position()
    {
        Assert.Equal([30, 10], ActiveLearningSimulation.TopByScore([10, 20, 30, 40], [0.5, 0.5, 0.9, 0.1], 2));
    }
}
