using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>The vectorised finite check finds the first NaN or infinity wherever it lies: in a full vector, in the tail.</summary>
public sealed class FiniteValuesTests
{
    public static TheoryData<int> Lengths => [0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 1000, 1027];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Finds_the_first_non_finite_float_at_every_position(int length)
    {
        var random = new Random(length);
        float[] values = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * 1e30)).ToArray();
        Assert.Equal(-1, FiniteValues.IndexOfNonFinite(values));

        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001))];
        for (int at = 0; at < length; at++)
        {
            float special = specials[at % specials.Length];
            float[] copy = (float[])values.Clone();
            copy[at] = special;
            if (at + 3 < length)
            {
                copy[at + 3] = float.NaN;
            }

            Assert.Equal(at, FiniteValues.IndexOfNonFinite(copy));
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Finds_the_first_non_finite_double_at_every_position(int length)
    {
        double[] values = Enumerable.Range(0, length).Select(i => i % 2 == 0 ? double.MaxValue : -double.Epsilon * i).ToArray();
        Assert.Equal(-1, FiniteValues.IndexOfNonFinite(values));

        for (int at = 0; at < length; at++)
        {
            double[] copy = (double[])values.Clone();
            copy[at] = (at % 3) switch { 0 => double.NaN, 1 => double.PositiveInfinity, _ => double.NegativeInfinity };
            Assert.Equal(at, FiniteValues.IndexOfNonFinite(copy));
        }
    }

    [Fact]
    public void Huge_finite_values_are_finite()
    {
        // The old check summed the values first: these overflow a sum, and must still pass.
        float[] values = Enumerable.Repeat(float.MaxValue, 100).Concat([-float.MaxValue, float.Epsilon, -0f]).ToArray();
        Assert.Equal(-1, FiniteValues.IndexOfNonFinite(values));
    }
}
