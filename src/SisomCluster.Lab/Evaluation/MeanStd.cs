using System.Globalization;

namespace SisomCluster.Lab.Evaluation;

/// <summary>Mean and sample standard deviation (n − 1) of repeated measurements, e.g. over seeds; Std = 0 for one value.</summary>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    public static MeanStd Of(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("mean ± std of no values is undefined.", nameof(values));
        }

        double sum = 0;
        foreach (double v in values)
        {
            if (double.IsNaN(v))
            {
                throw new ArgumentException("mean ± std got a NaN value.", nameof(values));
            }

            sum += v;
        }

        double mean = sum / values.Length;
        if (values.Length == 1 || double.IsInfinity(mean))
        {
            return new MeanStd(mean, values.Length == 1 ? 0 : double.NaN, values.Length);
        }

        double squares = 0;
        foreach (double v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return new MeanStd(mean, Math.Sqrt(squares / (values.Length - 1)), values.Length);
    }

    /// <summary>"0.812 ± 0.004" with <paramref name="decimals"/> decimals, invariant culture.</summary>
    public string Format(int decimals = 3)
    {
        string f = "F" + decimals.ToString(CultureInfo.InvariantCulture);
        return $"{Mean.ToString(f, CultureInfo.InvariantCulture)} ± {Std.ToString(f, CultureInfo.InvariantCulture)}";
    }
}
