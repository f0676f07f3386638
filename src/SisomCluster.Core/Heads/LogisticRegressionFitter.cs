using SisomCluster.Core.States;

namespace SisomCluster.Core.Heads;

/// <summary>
/// Fits the final linear layer W (K×D), b (K) of a frozen backbone (SISOM.md §2) by multinomial
/// logistic regression on the labeled items' penultimate features: minimises
/// (1/N) Σ_i −log softmax(W h_i + b)_{y_i} + (L2/2)·‖W‖² with L-BFGS, in double precision.
/// </summary>
/// <remarks>
/// <para>
/// Start: W = 0, b = 0 in the optimiser's variables. Softmax is invariant to adding one constant to
/// every logit and b is not penalised, so the objective is flat along b + t·1; the gradient is
/// always orthogonal to that direction and L-BFGS builds its steps from gradients, so the iterates
/// never move along it: the optimum found is the one whose optimiser-space b sums to zero (up to rounding).
/// </para>
/// <para>
/// A class with no training rows: the infimum of its term is at b_k = −∞, so its gradient
/// ∂f/∂b_k = mean_i p_ik stays positive and b_k keeps falling until that mean probability is below
/// about the tolerance, i.e. its logit ends roughly ln(Tolerance) (≈ −14 by default) under the
/// winning logit of a typical training row; its row of W feels only the same vanishing push and the L2 pull to
/// zero, so it stays small and finite. The head therefore does not predict that class on the
/// training data, and rarely elsewhere — which SISOM treats as "no reference" anyway (SISOM.md §5).
/// With L2 = 0 on separable data W has no finite optimum either; the fit stops at MaxIterations
/// with Converged = false and finite values.
/// </para>
/// <para>
/// Deterministic: the same input gives bit-identical W and b for every MaxDegreeOfParallelism
/// (see <see cref="SoftmaxObjective"/>), on the same hardware and runtime.
/// </para>
/// <para>
/// Memory: the (standardised) features are held once as an N×D double matrix, 8·N·D bytes
/// (8 MB for 2 000 × 512), plus at most 256 per-block gradient buffers of K·D + K doubles.
/// </para>
/// </remarks>
public static class LogisticRegressionFitter
{
    public static FittedHead Fit(FeatureMatrix features, ReadOnlySpan<int> labels, int classCount, LogisticRegressionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        options ??= LogisticRegressionOptions.Default;
        if (classCount < 2)
        {
            throw new ArgumentException($"A classifier head needs K >= 2 classes, got K = {classCount}.", nameof(classCount));
        }

        if (features.Rows == 0)
        {
            throw new ArgumentException("features has no rows; a head needs at least one labeled item.", nameof(features));
        }

        if (features.Columns == 0)
        {
            throw new ArgumentException("features has D = 0 columns; a head needs D >= 1.", nameof(features));
        }

        if (labels.Length != features.Rows)
        {
            throw new ArgumentException($"labels has {labels.Length} entries, features has {features.Rows} rows.", nameof(labels));
        }

        Guard.Labels(labels, classCount, nameof(labels));
        features.EnsureFinite(nameof(features));
        options.Validate();

        int[] labelArray = labels.ToArray();
        var counts = new int[classCount];
        foreach (int label in labelArray)
        {
            counts[label]++;
        }

        FeatureScaling scaling = options.Standardize
            ? FeatureScaling.Standardizing(features, options.L2)
            : FeatureScaling.Identity(features.Columns);
        var objective = new SoftmaxObjective(
            scaling.Transform(features),
            features.Rows,
            features.Columns,
            labelArray,
            classCount,
            options.L2,
            scaling.PenaltyWeights(),
            options.MaxDegreeOfParallelism);

        var parameters = new double[objective.ParameterCount];
        LbfgsResult result = Lbfgs.Minimize(objective.Evaluate, parameters, options.History, options.MaxIterations, options.Tolerance);

        LinearHead head = scaling.ToRawHead(parameters, classCount);
        double accuracy = HeadEvaluation.Accuracy(head, features, labels);
        return new FittedHead(head, result.Iterations, result.Converged, result.Value, result.GradientNorm, accuracy, counts);
    }

    /// <summary>
    /// The objective and its gradient with respect to the RAW head [W (K×D row-major), b (K)], for
    /// checking a fitted head against the first-order condition. Single-threaded, no validation.
    /// </summary>
    internal static double RawObjective(LinearHead head, FeatureMatrix features, ReadOnlySpan<int> labels, double l2, Span<double> gradient)
    {
        FeatureScaling identity = FeatureScaling.Identity(features.Columns);
        var objective = new SoftmaxObjective(
            identity.Transform(features),
            features.Rows,
            features.Columns,
            labels.ToArray(),
            head.ClassCount,
            l2,
            identity.PenaltyWeights(),
            maxDegreeOfParallelism: 1);
        double[] parameters = [.. head.Weights, .. head.Bias];
        return objective.Evaluate(parameters, gradient);
    }
}
