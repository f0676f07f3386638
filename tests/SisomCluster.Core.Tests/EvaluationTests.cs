using SisomCluster.Core.Baselines;
using SisomCluster.Core.Evaluation;
using Xunit;

namespace SisomCluster.Core.Tests;

public sealed class EvaluationTests
{
    [Fact]
    public void Auroc_counts_ties_as_half()
    {
        OodMetrics perfect = OodMetrics.Compute([0.1, 0.2, 0.9, 0.8], [false, false, true, true]);
        Assert.Equal(1.0, perfect.Auroc);
        Assert.Equal(0.0, perfect.Fpr95);
        Assert.Equal(1.0, perfect.AuprOut);
        Assert.Equal(1.0, perfect.AuprIn);
        Assert.Equal(0.5, OodMetrics.Compute([1, 1, 1, 1], [false, true, false, true]).Auroc);
        Assert.Equal(0.0, OodMetrics.Compute([0.9, 0.1], [false, true]).Auroc);
    }

    [Fact]
    public void Metrics_match_hand_computed_values_with_a_tie()
    {
        OodMetrics m = OodMetrics.Compute([0.1, 0.4, 0.35, 0.8, 0.9, 0.4, 0.7], [false, false, false, false, true, true, true]);

        // Pairs won by OOD: 0.9 → 4, 0.7 → 3, 0.4 → 2 + ½ (tie) = 9.5 of 12.
        Tolerance.Close(9.5 / 12, m.Auroc, "auroc");

        // t = 0.4 still flags 3/3 OOD; ID with score ≥ 0.4: 0.4 and 0.8.
        Assert.Equal(0.5, m.Fpr95);

        // OOD positive, descending: 1/3·1 + 1/3·2/3 + 1/3·3/5 = 34/45.
        Tolerance.Close(34.0 / 45, m.AuprOut, "aupr-out");

        // ID positive, ascending: ¼·1 + ¼·1 + ¼·3/4 + ¼·4/6.
        Tolerance.Close(0.25 + 0.25 + 0.1875 + (0.25 * 4 / 6), m.AuprIn, "aupr-in");
    }

    [Fact]
    public void Wilson_interval_matches_the_textbook_value()
    {
        WilsonInterval w = WilsonInterval.Compute(5, 10);
        Assert.Equal(0.5, w.Rate);
        Assert.Equal(0.2366, w.Lower, 4);
        Assert.Equal(0.7634, w.Upper, 4);
        WilsonInterval zero = WilsonInterval.Compute(0, 20);
        Assert.Equal(0.0, zero.Lower);
        Assert.Equal(0.1611, zero.Upper, 4);
        Assert.Throws<ArgumentException>(() => WilsonInterval.Compute(3, 2));
    }

    [Fact]
    public void Logit_baselines_are_oriented_higher_is_more_ood()
    {
        LogitBaselines confident = LogitBaselines.Compute([10f, 0f, 0f]);
        LogitBaselines unsure = LogitBaselines.Compute([1f, 1f, 1f]);
        Assert.True(unsure.Msp > confident.Msp);
        Assert.True(unsure.Entropy > confident.Entropy);
        Assert.True(unsure.Margin > confident.Margin);
        Assert.True(unsure.MaxLogit > confident.MaxLogit);
        Assert.Equal(-(1 + Math.Log(3)), unsure.Energy, 6);
        Assert.Equal(Math.Log(3), unsure.Entropy, 6);
    }
}
