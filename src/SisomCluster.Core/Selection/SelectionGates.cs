using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;

namespace SisomCluster.Core.Selection;

/// <summary>
/// The guarded selection's OOD gate (<see cref="SelectionPolicy.Guarded"/>): a threshold of one OOD score at a quantile
/// below the run's q, calibrated like the run's own thresholds on the reference items' leave-one-out scores (SISOM.md
/// §8.1), so the gate leaves out about (1 − quantile) of the ID items and far more of the OOD ones. The defaults were
/// chosen by <c>sisom eval al</c> (docs/results/al.md, README "Which items are selected").
/// </summary>
public static class SelectionGates
{
    /// <summary>The gate's score: KNN, the best OOD detector measured here (docs/results/README.md).</summary>
    public const string DefaultScore = OodScores.Knn;

    /// <summary>The gate's quantile of the reference items' leave-one-out scores.</summary>
    public const double DefaultQuantile = 0.8;

    /// <summary>
    /// The guarded selection's gates, whatever the run's OOD score: SISOM at the context's q (its own threshold) and
    /// <paramref name="score"/> at <paramref name="quantile"/>. Two detectors: in <c>eval al</c> the KNN gate with the KNN flag
    /// alone still spent 25.8 % of the labels on OOD items, with the SISOM threshold beside it 17.0 % (random: 20.7 %).
    /// </summary>
    public static IReadOnlyList<OodGate> Guarded(ScoringContext context, string score = DefaultScore, double quantile = DefaultQuantile)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [new OodGate(OodScores.Sisom, context.ThresholdSisom), At(context, score, quantile)];
    }

    /// <summary>
    /// The gate at <paramref name="quantile"/> of <paramref name="score"/>'s leave-one-out reference scores of
    /// <paramref name="context"/>. KNN, SISOMe and energy need the reference features that the KNN bank holds.
    /// </summary>
    public static OodGate At(ScoringContext context, string score, double quantile)
    {
        ArgumentNullException.ThrowIfNull(context);
        Guard.Quantile(quantile, nameof(quantile));
        if (!OodScores.IsKnown(score))
        {
            throw new ArgumentException($"Unknown OOD gate score '{score}'; use {string.Join(", ", OodScores.All)}.", nameof(score));
        }

        return new OodGate(score, Thresholds.NearestRank(LeaveOneOutScores(context, score), quantile));
    }

    /// <summary>The reference items' leave-one-out scores of <paramref name="score"/> (the run's thresholds are their q-quantiles).</summary>
    public static double[] LeaveOneOutScores(ScoringContext context, string score)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (score == OodScores.Knn)
        {
            return (context.Knn ?? throw NoBank(score)).LeaveOneOut();
        }

        double[] ratios = score is OodScores.Sisom or OodScores.Sisome
            ? ScoringContext.LeaveOneOutRatios(context.Reference, Neighbours.NeighbourSearchOptions.Default).Ratio
            : [];
        if (score == OodScores.Sisom)
        {
            return Array.ConvertAll(ratios, r => ScoreFormulas.Sisom(r, context.Statistics));
        }

        FeatureMatrix h = (context.Knn ?? throw NoBank(score)).ReferenceFeatures;
        FeatureMatrix logits = NeuronStates.Compute(context.Head, h, context.Alpha, context.Precision).Logits;
        var result = new double[h.Rows];
        for (int i = 0; i < result.Length; i++)
        {
            double energy = ScoreFormulas.Energy(logits.Row(i));
            result[i] = score == OodScores.Energy ? energy : ScoreFormulas.Sisome(ratios[i], energy, context.SisomeWeight, context.Statistics);
        }

        return result;
    }

    private static ArgumentException NoBank(string score) =>
        new($"The OOD gate on {score} needs the reference features (the KNN bank); this context was stored without them.", nameof(score));
}
