using SisomCluster.Core.States;

namespace SisomCluster.Core.Heads;

/// <summary>
/// The result of <see cref="LogisticRegressionFitter.Fit"/>.
/// </summary>
/// <param name="Head">W and b for RAW features (any standardisation is folded in).</param>
/// <param name="Iterations">Accepted L-BFGS steps.</param>
/// <param name="Converged">Whether the gradient test of <see cref="LogisticRegressionOptions.Tolerance"/> was met.</param>
/// <param name="FinalLoss">The objective at <paramref name="Head"/>: mean cross-entropy plus (L2/2)·‖W‖².</param>
/// <param name="FinalGradientNorm">‖∇f‖₂ in the optimiser's parameters at the end, for judging a fit that did not converge.</param>
/// <param name="TrainingAccuracy">Accuracy of <paramref name="Head"/> on the training rows (argmax, lowest index on ties).</param>
/// <param name="ClassCounts">Training rows per class, length K; a 0 marks a class the head was never shown.</param>
public sealed record FittedHead(
    LinearHead Head,
    int Iterations,
    bool Converged,
    double FinalLoss,
    double FinalGradientNorm,
    double TrainingAccuracy,
    int[] ClassCounts);
