using SisomCluster.Core.Reference;
using SisomCluster.Core.Scoring;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>SISOM.md §5 guards, on hand-made states so each expectation is known exactly.</summary>
public sealed class RatioGuardTests
{
    private static readonly NeighboursAlias Search = new();

    private static ReferenceSet Reference(float[][] states, int[] labels, int classes = 3) =>
        new(FeatureMatrix.FromRows(states.Select(r => r.Select(v => (double)v).ToArray()).ToArray(), "states"), labels, classes);

    [Fact]
    public void Ratio_uses_margin_of_nearest_reference()
    {
        // class 0 at x = 0 and x = 1; class 1 at x = 3. m(t0) = 3, m(t1) = 2.
        ReferenceSet t = Reference([[0f], [1f], [3f]], [0, 0, 1]);
        Assert.Equal([3.0, 2.0, 2.0], t.Margins);
        DistanceRatios r = DistanceRatios.Compute(t, FeatureMatrix.FromRows([[0.9]], "q"), [0], default, 1, Search.Options);
        Assert.Equal(1, r.NearestReference[0]);
        Assert.Equal(0.1, r.DIn[0], 6);
        Assert.Equal(2.0, r.DOut[0]);
        Assert.Equal(0.05, r.Ratio[0], 6);
    }

    [Fact]
    public void Leave_one_out_is_by_identity_not_by_distance()
    {
        // Items 0 and 1 are exact duplicates in class 0. Item 0 left out by identity still finds its twin at distance 0.
        ReferenceSet t = Reference([[1f, 1f], [1f, 1f], [2f, 2f], [5f, 5f]], [0, 0, 0, 1]);
        DistanceRatios r = DistanceRatios.Compute(t, t.StateVectors, t.Labels, [0, 1, 2, 3], 1, Search.Options);
        Assert.Equal(1, r.NearestReference[0]);
        Assert.Equal(0.0, r.DIn[0]);
        Assert.Equal(0, r.NearestReference[1]);

        // The same state as a non-member query finds item 0 itself (lowest index on ties).
        DistanceRatios q = DistanceRatios.Compute(t, FeatureMatrix.FromRows([[1.0, 1.0]], "q"), [0], default, 1, Search.Options);
        Assert.Equal(0, q.NearestReference[0]);
    }

    [Fact]
    public void Zero_margin_gives_the_reference_convention()
    {
        // A class-0 item whose twin carries label 1: its margin is 0.
        ReferenceSet t = Reference([[1f], [1f], [4f]], [0, 1, 0]);
        Assert.Equal(0.0, t.Margins[0]);
        DistanceRatios r = DistanceRatios.Compute(t, FeatureMatrix.FromRows([[1.5]], "q"), [0], default, 1, Search.Options);
        Assert.Equal(0, r.NearestReference[0]);
        Assert.Equal(DistanceRatios.ZeroMarginRatio, r.Ratio[0]);
    }

    [Fact]
    public void Empty_predicted_class_gives_infinite_ratio_and_no_reference_flag()
    {
        ReferenceSet t = Reference([[0f], [1f]], [0, 1], classes: 3);
        DistanceRatios r = DistanceRatios.Compute(t, FeatureMatrix.FromRows([[0.5], [0.2]], "q"), [2, 0], default, 1, Search.Options);
        Assert.True(r.NoReference[0]);
        Assert.Equal(-1, r.NearestReference[0]);
        Assert.Equal(double.PositiveInfinity, r.Ratio[0]);
        Assert.True(double.IsNaN(r.DOut[0]));
        Assert.False(r.NoReference[1]);
    }

    [Fact]
    public void Neighbour_rank_two_takes_the_second_nearest()
    {
        ReferenceSet t = Reference([[0f], [1f], [3f], [10f]], [0, 0, 0, 1]);
        var q = FeatureMatrix.FromRows([[0.9]], "q");
        Assert.Equal(1, DistanceRatios.Compute(t, q, [0], default, 1, Search.Options).NearestReference[0]);
        DistanceRatios second = DistanceRatios.Compute(t, q, [0], default, 2, Search.Options);
        Assert.Equal(0, second.NearestReference[0]);
        Assert.Equal(0.9, second.DIn[0], 6);
    }

    [Fact]
    public void Sisome_at_weight_one_drops_the_ratio_term()
    {
        var stats = new IdStatistics(RAvg: 1.2, SdR: 0.5, MuE: -2, SdE: 0.5, RatioCount: 10, EnergyCount: 10);
        Assert.Equal(2.0, ScoreFormulas.Sisome(double.PositiveInfinity, -1, 1.0, stats));
        Assert.Equal(double.PositiveInfinity, ScoreFormulas.Sisome(double.PositiveInfinity, -1, 0.5, stats));
        Assert.Equal((0.5 * 2.0) + (0.5 * -0.4), ScoreFormulas.Sisome(1.0, -1, 0.5, stats), 12);
    }

    [Fact]
    public void Auto_alpha_picks_the_minimal_r_avg_and_records_the_grid()
    {
        var (head, features, labels) = Synthetic.Clusters(seed: 2, count: 120, classes: 3, dimension: 16);
        ScoringContext context = ScoringContext.Build(head, features, labels);
        Assert.Equal(ScoringContextOptions.DefaultAlphaGrid, context.AlphaGrid.Select(a => a.Alpha));
        AlphaCandidate best = context.AlphaGrid.Where(a => a.Eligible).MinBy(a => a.RAvg)!;
        Assert.Equal(best.Alpha, context.Alpha);
        Assert.Equal(best.RAvg, context.Statistics.RAvg);
    }

    /// <summary>Keeps the option type's namespace out of every test line.</summary>
    private sealed class NeighboursAlias
    {
        public Neighbours.NeighbourSearchOptions Options { get; } = Neighbours.NeighbourSearchOptions.Default;
    }
}
