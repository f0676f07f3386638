using System.Numerics.Tensors;
using SisomCluster.Core.States;

namespace SisomCluster.Core.Heads;

/// <summary>
/// f(θ) = (1/N) Σ_i [logsumexp(l_i) − l_{i,y_i}] + (L2/2) Σ_kd q_d V_kd², l_i = V x_i + c, and its
/// gradient ∂f/∂V_k = (1/N) Σ_i (p_ik − [y_i = k]) x_i + L2 q ⊙ V_k, ∂f/∂c_k = (1/N) Σ_i (p_ik − [y_i = k]).
/// θ = [V (K×D row-major), c (K)]; x_i are rows of a double design matrix.
/// </summary>
/// <remarks>
/// Rows are cut into blocks whose size depends on N only. Each block writes its own partial loss
/// and gradient, and the partials are added in block order afterwards, so the floating-point sum is
/// the same for any degree of parallelism (a shared accumulator would make it depend on timing).
/// </remarks>
internal sealed class SoftmaxObjective
{
    private const int MinBlockRows = 128;
    private const int MaxBlocks = 256;

    private readonly double[] _design;
    private readonly int[] _labels;
    private readonly double[] _penaltyWeights;
    private readonly double _l2;
    private readonly int _blockRows;
    private readonly int _blockCount;
    private readonly double[][] _partialGradients;
    private readonly double[] _partialLosses;
    private readonly ParallelOptions _parallel;

    public SoftmaxObjective(double[] design, int rows, int columns, int[] labels, int classCount, double l2, double[] penaltyWeights, int maxDegreeOfParallelism)
    {
        _design = design;
        _labels = labels;
        _penaltyWeights = penaltyWeights;
        _l2 = l2;
        Rows = rows;
        Columns = columns;
        ClassCount = classCount;
        ParameterCount = (classCount * columns) + classCount;

        // Capping the block count bounds the partial buffers at MaxBlocks·(K·D + K) doubles for large N.
        _blockRows = Math.Max(MinBlockRows, (rows + MaxBlocks - 1) / MaxBlocks);
        _blockCount = (rows + _blockRows - 1) / _blockRows;
        _partialGradients = new double[_blockCount][];
        for (int b = 0; b < _blockCount; b++)
        {
            _partialGradients[b] = new double[ParameterCount];
        }

        _partialLosses = new double[_blockCount];
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
    }

    public int Rows { get; }

    public int Columns { get; }

    public int ClassCount { get; }

    public int ParameterCount { get; }

    /// <summary>Returns f(θ) and writes ∇f(θ) into <paramref name="gradient"/>.</summary>
    public double Evaluate(double[] parameters, Span<double> gradient)
    {
        if (_blockCount == 1)
        {
            EvaluateBlock(parameters, 0);
        }
        else
        {
            Parallel.For(0, _blockCount, _parallel, block => EvaluateBlock(parameters, block));
        }

        // Fixed-order reduction: block 0, then 1, … regardless of which thread finished first.
        double loss = 0;
        gradient.Clear();
        for (int b = 0; b < _blockCount; b++)
        {
            loss += _partialLosses[b];
            TensorPrimitives.Add(gradient, _partialGradients[b], gradient);
        }

        double inverseN = 1.0 / Rows;
        loss *= inverseN;
        TensorPrimitives.Multiply(gradient, inverseN, gradient);

        int d = Columns;
        double penalty = 0;
        for (int k = 0; k < ClassCount; k++)
        {
            ReadOnlySpan<double> v = parameters.AsSpan(k * d, d);
            Span<double> g = gradient.Slice(k * d, d);
            for (int j = 0; j < d; j++)
            {
                double weighted = _penaltyWeights[j] * v[j];
                penalty += weighted * v[j];
                g[j] += _l2 * weighted;
            }
        }

        return loss + (0.5 * _l2 * penalty);
    }

    private void EvaluateBlock(double[] parameters, int block)
    {
        int d = Columns;
        int classes = ClassCount;
        ReadOnlySpan<double> bias = parameters.AsSpan(classes * d, classes);
        Span<double> gradient = _partialGradients[block];
        gradient.Clear();
        // K is small for a classifier head; the heap fallback only guards against a stack overflow.
        Span<double> logits = classes <= 128 ? stackalloc double[2 * classes] : new double[2 * classes];
        Span<double> l = logits[..classes];
        Span<double> p = logits.Slice(classes, classes);
        double loss = 0;
        int end = Math.Min(Rows, (block + 1) * _blockRows);
        for (int i = block * _blockRows; i < end; i++)
        {
            ReadOnlySpan<double> x = _design.AsSpan(i * d, d);
            for (int k = 0; k < classes; k++)
            {
                l[k] = TensorPrimitives.Dot(parameters.AsSpan(k * d, d), x) + bias[k];
            }

            int y = _labels[i];
            double lse = StableMath.Softmax(l, p);
            loss += lse - l[y];
            p[y] -= 1.0;
            for (int k = 0; k < classes; k++)
            {
                Span<double> gk = gradient.Slice(k * d, d);
                TensorPrimitives.MultiplyAdd(x, p[k], gk, gk);
                gradient[(classes * d) + k] += p[k];
            }
        }

        _partialLosses[block] = loss;
    }
}
