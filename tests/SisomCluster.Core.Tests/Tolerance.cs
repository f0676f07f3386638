using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>SISOM.md: relative error ≤ 1e-4, absolute ≤ 1e-6 near zero; infinities and NaN must match exactly.</summary>
public static class Tolerance
{
    public const double Relative = 1e-4;
    public const double Absolute = 1e-6;

    public static void Close(double expected, double actual, string what)
    {
        if (double.IsNaN(expected) || double.IsInfinity(expected))
        {
            Assert.True(expected.Equals(actual), $"{what}: expected {expected}, got {actual}");
            return;
        }

        double error = Math.Abs(actual - expected);
        Assert.True(
            error <= Absolute || error <= Relative * Math.Abs(expected),
            $"{what}: expected {expected:R}, got {actual:R} (abs error {error:E2}, rel {error / Math.Abs(expected):E2})");
    }

    public static void AllClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Close(expected[i], actual[i], $"{what}[{i}]");
        }
    }

    public static void RowsClose(double[][] expected, FeatureMatrix actual, string what)
    {
        Assert.Equal(expected.Length, actual.Rows);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual.Columns);
            for (int j = 0; j < expected[i].Length; j++)
            {
                Close(expected[i][j], actual.Row(i)[j], $"{what}[{i}][{j}]");
            }
        }
    }
}
