using SisomCluster.Core;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;

namespace SisomCluster.Lab.Evaluation;

/// <summary>
/// One OOD-detection comparison on frozen features: fit the head on the labeled ID items, build the SISOM
/// context with the labeled items as reference set T (SISOM.md §4), and score the ID test set and every OOD
/// set with SISOM, SISOMe, MSP, MaxLogit, Energy and KNN (k-th distance to the labeled set). With
/// <see cref="OodBenchmarkOptions.FixedHead"/> the classifier's own head is used instead of a fitted one; with
/// <see cref="OodLayerStates"/> a second context on the multi-layer z adds SISOM and SISOMe (multi-layer), on the
/// same features, head and reference set.
/// </summary>
public static class OodBenchmark
{
    public static OodBenchmarkResult Run(
        FeatureMatrix labeled,
        int[] labels,
        int classCount,
        FeatureMatrix idTest,
        int[] idTestLabels,
        IReadOnlyList<KeyValuePair<string, FeatureMatrix>> oodSets,
        OodBenchmarkOptions? options = null,
        OodLayerStates? layerStates = null)
    {
        ArgumentNullException.ThrowIfNull(labeled);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(idTest);
        ArgumentNullException.ThrowIfNull(idTestLabels);
        ArgumentNullException.ThrowIfNull(oodSets);
        options ??= new OodBenchmarkOptions();
        if (oodSets.Count == 0)
        {
            throw new ArgumentException("The OOD benchmark needs at least one OOD set.", nameof(oodSets));
        }

        LinearHead head = options.FixedHead ?? LogisticRegressionFitter.Fit(labeled, labels, classCount, options.Head).Head;
        ScoringContext context = ScoringContext.Build(head, labeled, labels, options.Scoring);
        var scorer = new SisomScorer(context, options.Scoring.Search);
        var knn = new KnnScorer(labeled, options.KnnK, options.Scoring.Search);
        Combination combined = Combination.FromReference(Core.Selection.SelectionGates.LeaveOneOutScores(context, Core.Scoring.OodScores.Sisome), knn.LeaveOneOut());
        ScoringContext? multi = layerStates is null ? null : ScoringContext.Build(head, labeled, labels, options.Scoring, layerStates.Labeled);
        SisomScorer? multiScorer = multi is null ? null : new SisomScorer(multi, options.Scoring.Search);

        var ood = new Dictionary<string, IReadOnlyDictionary<OodMethod, double[]>>(StringComparer.Ordinal);
        foreach ((string name, FeatureMatrix features) in oodSets)
        {
            LayerStates? states = null;
            if (layerStates is not null && !layerStates.Ood.TryGetValue(name, out states))
            {
                throw new ArgumentException($"No layer states for the OOD set '{name}'.", nameof(layerStates));
            }

            if (!ood.TryAdd(name, Score(scorer, knn, combined, features, multiScorer, states)))
            {
                throw new ArgumentException($"The OOD set name '{name}' appears twice.", nameof(oodSets));
            }
        }

        return new OodBenchmarkResult(
            HeadEvaluation.Accuracy(head, idTest, idTestLabels),
            context.Alpha,
            context.SisomeWeight,
            Score(scorer, knn, combined, idTest, multiScorer, layerStates?.IdTest),
            ood,
            multi?.Alpha,
            multi?.SisomeWeight);
    }

    private static Dictionary<OodMethod, double[]> Score(SisomScorer scorer, KnnScorer knn, Combination combined, FeatureMatrix features, SisomScorer? multiScorer, LayerStates? states)
    {
        SisomScoreBatch batch = scorer.Score(features);
        int n = batch.Count;
        var msp = new double[n];
        var maxLogit = new double[n];
        var energy = new double[n];
        for (int i = 0; i < n; i++)
        {
            LogitBaselines b = LogitBaselines.Compute(batch.Logits.Row(i));
            msp[i] = b.Msp;
            maxLogit[i] = b.MaxLogit;
            energy[i] = b.Energy;
        }

        var scores = new Dictionary<OodMethod, double[]>
        {
            [OodMethod.Sisom] = batch.Sisom,
            [OodMethod.Sisome] = batch.Sisome,
        };
        if (multiScorer is not null)
        {
            if (states is null || states.Rows != features.Rows)
            {
                throw new ArgumentException($"{features.Rows} items need as many rows of layer states, got {states?.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.", nameof(states));
            }

            SisomScoreBatch multi = multiScorer.Score(features, layerStates: states);
            scores[OodMethod.SisomMultiLayer] = multi.Sisom;
            scores[OodMethod.SisomeMultiLayer] = multi.Sisome;
        }

        scores[OodMethod.Msp] = msp;
        scores[OodMethod.MaxLogit] = maxLogit;
        scores[OodMethod.Energy] = energy;
        scores[OodMethod.Knn] = knn.KthDistance(features);
        scores[OodMethod.SisomeKnn] = combined.Apply(batch.Sisome, scores[OodMethod.Knn]);
        return scores;
    }

    /// <summary>c = (s_e − μ_se)/σ_se + (knn − μ_knn)/σ_knn, μ and σ over the finite leave-one-out scores of the reference items.</summary>
    internal sealed record Combination(double MeanSisome, double SdSisome, double MeanKnn, double SdKnn)
    {
        public static Combination FromReference(double[] sisome, double[] knn)
        {
            (double ms, double ss) = MeanSd(sisome);
            (double mk, double sk) = MeanSd(knn);
            return new Combination(ms, ss, mk, sk);
        }

        public double[] Apply(double[] sisome, double[] knn)
        {
            var result = new double[sisome.Length];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = ((sisome[i] - MeanSisome) / SdSisome) + ((knn[i] - MeanKnn) / SdKnn);
            }

            return result;
        }

        private static (double Mean, double Sd) MeanSd(double[] values)
        {
            double[] finite = values.Where(double.IsFinite).ToArray();
            if (finite.Length < 2)
            {
                throw new ArgumentException($"The combined score needs >= 2 finite reference scores, got {finite.Length}.", nameof(values));
            }

            double mean = finite.Average();
            double sd = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1));
            if (!(sd > 0))
            {
                throw new ArgumentException("The reference scores of the combined score do not vary (sd = 0).", nameof(values));
            }

            return (mean, sd);
        }
    }
}
