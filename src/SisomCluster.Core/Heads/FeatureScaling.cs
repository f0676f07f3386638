using SisomCluster.Core.States;

namespace SisomCluster.Core.Heads;

/// <summary>
/// The change of variables z_d = (h_d − μ_d)/s_d the optimiser works in, and its inverse for the
/// fitted parameters. With V, c the parameters in z-space, W h + b = V z + c holds for
/// W_kd = V_kd / s_d and b_k = c_k − Σ_d V_kd μ_d / s_d, so the raw-space penalty ‖W‖² becomes
/// Σ V_kd² / s_d²: the objective is the same function, only its conditioning changes.
/// </summary>
internal sealed class FeatureScaling
{
    private FeatureScaling(double[] mean, double[] scale)
    {
        Mean = mean;
        Scale = scale;
    }

    /// <summary>μ_d (all 0 when standardisation is off).</summary>
    public double[] Mean { get; }

    /// <summary>s_d (all 1 when standardisation is off).</summary>
    public double[] Scale { get; }

    public static FeatureScaling Identity(int columns)
    {
        var scale = new double[columns];
        Array.Fill(scale, 1.0);
        return new FeatureScaling(new double[columns], scale);
    }

    /// <summary>Training mean and s_d = √(σ_d² + l2) (population σ); s_d = 1 for a constant column when l2 = 0.</summary>
    public static FeatureScaling Standardizing(FeatureMatrix features, double l2)
    {
        int n = features.Rows;
        int d = features.Columns;
        var mean = new double[d];
        var scale = new double[d];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = features.Row(i);
            for (int j = 0; j < d; j++)
            {
                mean[j] += row[j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            mean[j] /= n;
        }

        // Two-pass variance: features in the 0–10 range with small spread would lose digits to E[h²] − μ².
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = features.Row(i);
            for (int j = 0; j < d; j++)
            {
                double centred = row[j] - mean[j];
                scale[j] += centred * centred;
            }
        }

        for (int j = 0; j < d; j++)
        {
            double s = Math.Sqrt((scale[j] / n) + l2);
            scale[j] = s > 0 ? s : 1.0;
        }

        return new FeatureScaling(mean, scale);
    }

    /// <summary>The N×D design matrix in double, row-major.</summary>
    public double[] Transform(FeatureMatrix features)
    {
        int d = features.Columns;
        var design = new double[(long)features.Rows * d];
        for (int i = 0; i < features.Rows; i++)
        {
            ReadOnlySpan<float> row = features.Row(i);
            Span<double> target = design.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                target[j] = (row[j] - Mean[j]) / Scale[j];
            }
        }

        return design;
    }

    /// <summary>Per-column weight of the penalty in z-space, 1/s_d², so that Σ_kd q_d V_kd² = ‖W‖².</summary>
    public double[] PenaltyWeights()
    {
        var weights = new double[Scale.Length];
        for (int j = 0; j < weights.Length; j++)
        {
            weights[j] = 1.0 / (Scale[j] * Scale[j]);
        }

        return weights;
    }

    /// <summary>Maps z-space parameters [V (K×D row-major), c (K)] to the raw-feature head.</summary>
    public LinearHead ToRawHead(ReadOnlySpan<double> parameters, int classCount)
    {
        int d = Scale.Length;
        var weights = new double[classCount * d];
        var bias = new double[classCount];
        for (int k = 0; k < classCount; k++)
        {
            double shift = 0;
            for (int j = 0; j < d; j++)
            {
                double w = parameters[(k * d) + j] / Scale[j];
                weights[(k * d) + j] = w;
                shift += w * Mean[j];
            }

            bias[k] = parameters[(classCount * d) + k] - shift;
        }

        return new LinearHead(weights, bias, classCount, d);
    }
}
