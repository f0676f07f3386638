using Xunit;

namespace SisomCluster.Cli.Tests;

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
            $"{what}: expected {expected:R}, got {actual:R} (abs error {error:E2})");
    }
}
