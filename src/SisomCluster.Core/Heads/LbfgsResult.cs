namespace SisomCluster.Core.Heads;

/// <summary>How an <see cref="Lbfgs"/> run ended: accepted steps, whether the gradient test passed, f and ‖∇f‖₂ at the last point.</summary>
internal readonly record struct LbfgsResult(int Iterations, bool Converged, double Value, double GradientNorm);
