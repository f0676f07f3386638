using SisomCluster.Core.Scoring;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>
/// α of an intermediate layer by minimal r_avg of that layer's states alone (SISOM.md §3.4, <c>eval ood --layers
/// TENSOR:auto</c>): r_avg is the mean leave-one-out ratio d_in / m(a), the smallest wins, ties go to the smaller α,
/// saturated grid points are ineligible.
/// </summary>
public sealed class LayerAlphaSearchTests
{
    private static readonly int[] Labels = [0, 0, 1, 1];

    [Fact]
    public void R_avg_of_a_layer_is_the_mean_leave_one_out_ratio_of_its_states()
    {
        // 1-D states, class 0 at {0, 1}, class 1 at {10, 12}. Leave one out: item 0 -> a = 1, d_in = 1, m(1) = 9;
        // item 1 -> a = 0, d_in = 1, m(0) = 10; item 10 -> a = 12, d_in = 2, m(12) = 11; item 12 -> a = 10, d_in = 2, m(10) = 9.
        LayerAlphaChoice choice = LayerAlphaSearch.Choose([5], _ => Column(0, 1, 10, 12), Labels, classCount: 2);
        double expected = ((1.0 / 9) + (1.0 / 10) + (2.0 / 11) + (2.0 / 9)) / 4;
        Assert.Equal(5, choice.Alpha);
        AlphaCandidate only = Assert.Single(choice.Grid);
        Assert.Equal(expected, only.RAvg, 6);
    }

    [Fact]
    public void The_alpha_of_the_smallest_r_avg_wins_wherever_it_lies_in_the_grid()
    {
        // α = 1 separates the classes best (r_avg 0.15); the grid is given out of order on purpose.
        FeatureMatrix StatesAt(double alpha) => alpha switch
        {
            1 => Column(0, 1, 10, 12),        // r_avg ≈ 0.154
            0.1 => Column(0, 4, 6, 10),       // d_in 4, m = 2 or 6: r_avg ≈ 1.33
            10 => Column(0, 2, 5, 7),         // r_avg ≈ 0.57
            _ => throw new ArgumentOutOfRangeException(nameof(alpha)),
        };

        LayerAlphaChoice choice = LayerAlphaSearch.Choose([10, 0.1, 1], StatesAt, Labels, classCount: 2);
        Assert.Equal(1, choice.Alpha);
        Assert.Equal([0.1, 1, 10], choice.Grid.Select(c => c.Alpha));
        Assert.Equal(choice.Grid.MinBy(c => c.RAvg)!.Alpha, choice.Alpha);
        Assert.All(choice.Grid, c => Assert.True(c.Eligible));
    }

    [Fact]
    public void Ties_go_to_the_smaller_alpha_and_saturated_states_are_ineligible()
    {
        // α = 0.01 saturates (all states equal: sd_r = 0); α = 1 and α = 100 give the same latent space up to an exact scale of 2.
        FeatureMatrix StatesAt(double alpha) => alpha switch
        {
            0.01 => Column(0.5f, 0.5f, 0.5f, 0.5f),
            1 => Column(0, 1, 10, 12),
            100 => Column(0, 2, 20, 24),
            _ => throw new ArgumentOutOfRangeException(nameof(alpha)),
        };

        LayerAlphaChoice choice = LayerAlphaSearch.Choose([100, 1, 0.01], StatesAt, Labels, classCount: 2);
        Assert.Equal(1, choice.Alpha);
        Assert.False(choice.Grid[0].Eligible);
        Assert.NotNull(choice.Grid[0].IneligibleReason);
        Assert.Equal(choice.Grid[1].RAvg, choice.Grid[2].RAvg);

        ArgumentException none = Assert.Throws<ArgumentException>(() => LayerAlphaSearch.Choose([0.01, 0.02], _ => Column(0.5f, 0.5f, 0.5f, 0.5f), Labels, classCount: 2));
        Assert.Contains("No alpha in the grid", none.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => LayerAlphaSearch.Choose([1, 2], _ => Column(0, 1, 2), Labels, classCount: 2));
    }

    private static FeatureMatrix Column(params float[] values) => new(values, values.Length, 1);
}
