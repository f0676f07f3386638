using SisomCluster.Core.Baselines;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>Bad input is an ArgumentException naming the input, never a wrong number.</summary>
public sealed class BadInputTests
{
    private static (LinearHead Head, FeatureMatrix Features, int[] Labels) Data() => Synthetic.Clusters(seed: 1, count: 60, classes: 3, dimension: 8);

    [Fact]
    public void Query_dimension_mismatch_names_the_features()
    {
        var (head, features, labels) = Data();
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 });
        var e = Assert.Throws<ArgumentException>(() => new SisomScorer(context).Score(Synthetic.Noise(1, 5, 9)));
        Assert.Equal("features", e.ParamName);
        Assert.Contains("D = 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_dimension_mismatch_names_the_reference_features()
    {
        var (head, _, labels) = Data();
        var e = Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, Synthetic.Noise(1, 60, 7), labels));
        Assert.Equal("referenceFeatures", e.ParamName);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_features_are_rejected(float bad)
    {
        var (head, features, labels) = Data();
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 });
        FeatureMatrix queries = Synthetic.Noise(2, 4, 8);
        queries.Data[13] = bad;
        var e = Assert.Throws<ArgumentException>(() => new SisomScorer(context).Score(queries));
        Assert.Equal("features", e.ParamName);
        Assert.Contains("row 1, column 5", e.Message, StringComparison.Ordinal);

        features.Data[3] = bad;
        var r = Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, features, labels));
        Assert.Equal("reference features", r.ParamName);
    }

    [Fact]
    public void Fewer_than_two_classes_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new LinearHead(new double[4], new double[1], 1, 4));
        Assert.Equal("classCount", e.ParamName);
    }

    [Fact]
    public void Non_finite_head_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new LinearHead([1, double.NaN, 0, 0], [0, 0], 2, 2));
        Assert.Equal("weights", e.ParamName);
    }

    [Fact]
    public void Head_shape_mismatch_is_rejected()
    {
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => new LinearHead(new double[5], new double[2], 2, 2)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => new LinearHead(new double[4], new double[3], 2, 2)).ParamName);
    }

    [Fact]
    public void Empty_reference_set_is_rejected()
    {
        var (head, _, _) = Data();
        var e = Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, new FeatureMatrix([], 0, 8), []));
        Assert.Equal("referenceFeatures", e.ParamName);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void Labels_out_of_range_are_rejected(int bad)
    {
        var (head, features, labels) = Data();
        labels[17] = bad;
        var e = Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, features, labels));
        Assert.Equal("reference labels", e.ParamName);
        Assert.Contains("[17]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_count_mismatch_is_rejected()
    {
        var (head, features, labels) = Data();
        var e = Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, features, labels[..^1]));
        Assert.Equal("referenceLabels", e.ParamName);
    }

    [Fact]
    public void Reference_set_without_any_pair_in_a_class_is_rejected()
    {
        var (head, features, _) = Data();
        var three = new FeatureMatrix(features.Data[..24], 3, 8);
        var e = Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, three, [0, 1, 2], new ScoringContextOptions { Alpha = 1 }));
        Assert.Contains("finite leave-one-out ratio", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_alpha_is_rejected(double alpha)
    {
        var (head, features, labels) = Data();
        Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = alpha }));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void Invalid_quantile_is_rejected(double q)
    {
        Assert.Equal("q", Assert.Throws<ArgumentException>(() => Thresholds.NearestRank([1.0, 2.0], q)).ParamName);
    }

    [Fact]
    public void Metrics_need_both_classes_and_no_nan()
    {
        Assert.Throws<ArgumentException>(() => OodMetrics.Compute([1.0, 2.0], [false, false]));
        Assert.Throws<ArgumentException>(() => OodMetrics.Compute([double.NaN, 2.0], [true, false]));
    }

    [Fact]
    public void Knn_rejects_mismatched_and_non_finite_queries()
    {
        var scorer = new KnnScorer(Synthetic.Noise(1, 10, 4), 3);
        Assert.Equal("queries", Assert.Throws<ArgumentException>(() => scorer.KthDistance(Synthetic.Noise(1, 2, 5))).ParamName);
        FeatureMatrix bad = Synthetic.Noise(1, 2, 4);
        bad.Data[0] = float.NaN;
        Assert.Equal("queries", Assert.Throws<ArgumentException>(() => scorer.KthDistance(bad)).ParamName);
    }
}
