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
