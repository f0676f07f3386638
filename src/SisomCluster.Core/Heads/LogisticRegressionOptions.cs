namespace SisomCluster.Core.Heads;

/// <summary>
/// Options of <see cref="LogisticRegressionFitter"/>. The objective minimised is
/// f(W, b) = (1/N) Σ_i −log softmax(W h_i + b)_{y_i} + (L2/2)·‖W‖²_F on the RAW features h,
/// whether or not <see cref="Standardize"/> is on: standardisation is only a change of variables
/// for the optimiser, so both settings aim at the same optimum.
/// </summary>
public sealed record LogisticRegressionOptions
{
    public static LogisticRegressionOptions Default { get; } = new();

    /// <summary>
    /// Ridge penalty on W (not b), in units of the raw features. Must be ≥ 0. With 0 and separable
    /// data the optimum is at infinity and the fit stops at <see cref="MaxIterations"/>.
    /// </summary>
    public double L2 { get; init; } = 1e-3;

    /// <summary>Accepted L-BFGS steps at most; ≥ 1.</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>
    /// The fit has converged when ‖∇f‖₂ ≤ Tolerance · max(1, ‖∇f(θ₀)‖₂), the gradient taken with
    /// respect to the parameters the optimiser works on (the standardised ones when
    /// <see cref="Standardize"/> is on) and θ₀ the all-zero start. The max(1, ·) keeps it from
    /// being stricter than an absolute test when the start is already nearly optimal. Must be &gt; 0.
    /// </summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>
    /// Optimise over standardised features z_d = (h_d − μ_d)/s_d with s_d = √(σ_d² + L2) (σ the
    /// training standard deviation; s_d = 1 when that is 0), then fold the scaling back so the head
    /// applies to raw features. The L2 term inside s_d keeps the penalty's curvature, L2/s_d², at
    /// most 1 for near-dead ReLU units whose σ is tiny.
    /// </summary>
    public bool Standardize { get; init; } = true;

    /// <summary>L-BFGS memory: how many (s, y) pairs approximate the inverse Hessian; ≥ 1.</summary>
    public int History { get; init; } = 10;

    /// <summary>-1 = all cores. The result is bit-identical for every value.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal void Validate()
    {
        if (!(L2 >= 0 && double.IsFinite(L2)))
        {
            throw new ArgumentException($"L2 must be a finite value >= 0, got {L2}.", nameof(L2));
        }

        if (MaxIterations < 1)
        {
            throw new ArgumentException($"MaxIterations must be >= 1, got {MaxIterations}.", nameof(MaxIterations));
        }

        if (!(Tolerance > 0 && double.IsFinite(Tolerance)))
        {
            throw new ArgumentException($"Tolerance must be a finite value > 0, got {Tolerance}.", nameof(Tolerance));
        }

        if (History < 1)
        {
            throw new ArgumentException($"History must be >= 1, got {History}.", nameof(History));
        }

        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
        {
            throw new ArgumentException($"MaxDegreeOfParallelism must be -1 or >= 1, got {MaxDegreeOfParallelism}.", nameof(MaxDegreeOfParallelism));
        }
    }
}
