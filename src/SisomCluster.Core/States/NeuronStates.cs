using System.Numerics.Tensors;

namespace SisomCluster.Core.States;

/// <summary>
/// Gradient-weighted neuron states of the penultimate layer, closed form (SISOM.md §3.1):
/// p = softmax(l), g = Wᵀp − w̄ (= ∂L/∂h for L = −(1/K) Σ log softmax(l)), s = σ(α · h ⊙ g).
/// </summary>
/// <remarks>
/// Logits, softmax and g are evaluated in double: they cost O(K·D) per item, small beside the
/// O(|T_ŷ|·D) neighbour search, and g is a difference of two similar numbers. States are stored
/// as float32, which is what the distance kernel consumes.
/// </remarks>
public static class NeuronStates
{
    /// <summary>Computes logits (K) and states (D) for every row of <paramref name="features"/>.</summary>
    public static (StateMatrix States, FeatureMatrix Logits) Compute(LinearHead head, FeatureMatrix features, double alpha, ScoringPrecision precision = ScoringPrecision.Float32, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(features);
        ValidateAlpha(alpha);
        if (features.Columns != head.FeatureDimension)
        {
            throw new ArgumentException($"features have D = {features.Columns}, the head expects D = {head.FeatureDimension}.", nameof(features));
        }

        features.EnsureFinite(nameof(features));

        var states = FeatureMatrix.Zeros(features.Rows, head.FeatureDimension);
        double[]? precise = precision == ScoringPrecision.Float64 ? new double[states.Data.Length] : null;
        var logits = FeatureMatrix.Zeros(features.Rows, head.ClassCount);
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        const int Block = 64;
        int blocks = (features.Rows + Block - 1) / Block;
        Parallel.For(
            0,
            blocks,
            options,
            () => new double[ScratchLength(head)],
            (block, _, scratch) =>
            {
                int end = Math.Min(features.Rows, (block + 1) * Block);
                for (int i = block * Block; i < end; i++)
                {
                    Span<double> row = precise is null ? default : precise.AsSpan(i * head.FeatureDimension, head.FeatureDimension);
                    ComputeRow(head, features.Row(i), alpha, states.RowSpan(i), row, logits.RowSpan(i), scratch);
                }

                return scratch;
            },
            _ => { });
        return (new StateMatrix(states, precise), logits);
    }

    /// <summary>
    /// z = concat(s_pen, s_j for each layer, in order) (SISOM.md §3.3): no normalisation. Float64 states stay
    /// float64 (the layer states widen exactly).
    /// </summary>
    public static StateMatrix Concatenate(StateMatrix penultimate, LayerStates? layers)
    {
        ArgumentNullException.ThrowIfNull(penultimate);
        if (layers is null || layers.Layers.Count == 0)
        {
            return penultimate;
        }

        if (layers.Rows != penultimate.Rows)
        {
            throw new ArgumentException($"layer states have {layers.Rows} rows for {penultimate.Rows} items.", nameof(layers));
        }

        int d = penultimate.Columns;
        int s = layers.Width;
        int width = d + s;
        var values = FeatureMatrix.Zeros(penultimate.Rows, width);
        double[]? precise = penultimate.PreciseValues is null ? null : new double[values.Data.Length];
        for (int i = 0; i < penultimate.Rows; i++)
        {
            Span<float> row = values.RowSpan(i);
            penultimate.Values.Row(i).CopyTo(row);
            layers.Values.Row(i).CopyTo(row[d..]);
            if (precise is not null)
            {
                Span<double> preciseRow = precise.AsSpan(i * width, width);
                penultimate.PreciseValues.AsSpan(i * d, d).CopyTo(preciseRow);
                ReadOnlySpan<float> layerRow = layers.Values.Row(i);
                for (int j = 0; j < s; j++)
                {
                    preciseRow[d + j] = layerRow[j];
                }
            }
        }

        return new StateMatrix(values, precise);
    }

    /// <summary>One item. <paramref name="scratch"/> holds at least <see cref="ScratchLength"/> doubles.</summary>
    internal static void ComputeRow(LinearHead head, ReadOnlySpan<float> h, double alpha, Span<float> state, Span<double> preciseState, Span<float> logitsOut, Span<double> scratch)
    {
        int k = head.ClassCount;
        int d = head.FeatureDimension;
        Span<double> logits = scratch[..k];
        Span<double> p = scratch.Slice(k, k);
        Span<double> hd = scratch.Slice(2 * k, d);
        Span<double> g = scratch.Slice((2 * k) + d, d);
        for (int j = 0; j < d; j++)
        {
            hd[j] = h[j];
        }

        // Double throughout: at α = 3000 an error of 1e-6 in g moves σ's argument by 3e-3.
        double[] w = head.Weights;
        for (int c = 0; c < k; c++)
        {
            logits[c] = TensorPrimitives.Dot(w.AsSpan(c * d, d), hd) + head.Bias[c];
            logitsOut[c] = (float)logits[c];
        }

        StableMath.Softmax(logits, p);
        TensorPrimitives.Negate(head.MeanRow, g);
        for (int c = 0; c < k; c++)
        {
            TensorPrimitives.MultiplyAdd(w.AsSpan(c * d, d), p[c], g, g);
        }

        // σ(α·h⊙g), vectorised: TensorPrimitives.Sigmoid saturates cleanly to 0 and 1 for |x| in the thousands.
        TensorPrimitives.Multiply(hd, g, g);
        TensorPrimitives.Multiply(g, alpha, g);
        TensorPrimitives.Sigmoid(g, g);
        for (int j = 0; j < d; j++)
        {
            state[j] = (float)g[j];
        }

        if (!preciseState.IsEmpty)
        {
            g.CopyTo(preciseState);
        }
    }

    internal static int ScratchLength(LinearHead head) => (2 * head.ClassCount) + (2 * head.FeatureDimension);

    internal static void ValidateAlpha(double alpha)
    {
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentException($"alpha = {alpha} must be a positive finite number.", nameof(alpha));
        }
    }
}
