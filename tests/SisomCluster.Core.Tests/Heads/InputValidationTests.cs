using SisomCluster.Core.Heads;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests.Heads;

/// <summary>Bad input to the head fitter and its helpers is an ArgumentException naming the input.</summary>
public sealed class InputValidationTests
{
    private static readonly GaussianBlobs Blobs = GaussianBlobs.Create(seed: 21, rows: 30, classes: 3, dimension: 4, meanSpread: 0.5);

    [Fact]
    public void Labels_count_must_match_rows()
    {
        var e = Assert.Throws<ArgumentException>(() => LogisticRegressionFitter.Fit(Blobs.Features, Blobs.Labels.AsSpan(1), 3));
        Assert.Equal("labels", e.ParamName);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Labels_must_lie_in_0_to_K_minus_1(int bad)
    {
        int[] labels = [.. Blobs.Labels];
        labels[7] = bad;
        var e = Assert.Throws<ArgumentException>(() => LogisticRegressionFitter.Fit(Blobs.Features, labels, 3));
        Assert.Equal("labels", e.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Fewer_than_two_classes_is_rejected(int classCount)
    {
        var e = Assert.Throws<ArgumentException>(() => LogisticRegressionFitter.Fit(Blobs.Features, new int[30], classCount));
        Assert.Equal("classCount", e.ParamName);
    }

    [Fact]
    public void No_rows_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => LogisticRegressionFitter.Fit(FeatureMatrix.Zeros(0, 4), [], 3));
        Assert.Equal("features", e.ParamName);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_features_are_rejected(float bad)
    {
        var features = new FeatureMatrix((float[])Blobs.Features.Data.Clone(), 30, 4);
        features.Data[9] = bad;
        var e = Assert.Throws<ArgumentException>(() => LogisticRegressionFitter.Fit(features, Blobs.Labels, 3));
        Assert.Equal("features", e.ParamName);
        Assert.Contains("row 2, column 1", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<LogisticRegressionOptions, string> BadOptions() => new()
    {
        { new LogisticRegressionOptions { L2 = -1e-9 }, "L2" },
        { new LogisticRegressionOptions { L2 = double.NaN }, "L2" },
        { new LogisticRegressionOptions { MaxIterations = 0 }, "MaxIterations" },
        { new LogisticRegressionOptions { Tolerance = 0 }, "Tolerance" },
        { new LogisticRegressionOptions { History = 0 }, "History" },
        { new LogisticRegressionOptions { MaxDegreeOfParallelism = 0 }, "MaxDegreeOfParallelism" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_are_rejected_by_name(LogisticRegressionOptions options, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => LogisticRegressionFitter.Fit(Blobs.Features, Blobs.Labels, 3, options));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Evaluation_checks_dimension_and_labels()
    {
        var head = new LinearHead(new double[3 * 5], new double[3], 3, 5);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => HeadEvaluation.Predict(head, Blobs.Features)).ParamName);

        var fitting = new LinearHead(new double[3 * 4], new double[3], 3, 4);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => HeadEvaluation.Accuracy(fitting, Blobs.Features, Blobs.Labels.AsSpan(2))).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => HeadEvaluation.Accuracy(fitting, Blobs.Features, Enumerable.Repeat(3, 30).ToArray())).ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Split_fraction_must_lie_strictly_between_0_and_1(double fraction)
    {
        var e = Assert.Throws<ArgumentException>(() => StratifiedSplit.Split(Blobs.Labels, fraction, 1));
        Assert.Equal("heldOutFraction", e.ParamName);
    }

    [Fact]
    public void Split_rejects_negative_labels()
    {
        var e = Assert.Throws<ArgumentException>(() => StratifiedSplit.Split([0, 1, -2], 0.5, 1));
        Assert.Equal("labels", e.ParamName);
    }
}
