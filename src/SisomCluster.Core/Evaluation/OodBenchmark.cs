using SisomCluster.Core.Baselines;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Core.Evaluation;

/// <summary>
/// One OOD-detection comparison on frozen features: fit the head on the labeled ID items, build the SISOM
/// context with the labeled items as reference set T (SISOM.md §4), and score the ID test set and every OOD
/// set with SISOM, SISOMe, MSP, MaxLogit, Energy and KNN (k-th distance to the labeled set).
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
        OodBenchmarkOptions? options = null)
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

        FittedHead fitted = LogisticRegressionFitter.Fit(labeled, labels, classCount, options.Head);
        ScoringContext context = ScoringContext.Build(fitted.Head, labeled, labels, options.Scoring);
        var scorer = new SisomScorer(context, options.Scoring.Search);
        var knn = new KnnScorer(labeled, options.KnnK, options.Scoring.Search);

        var ood = new Dictionary<string, IReadOnlyDictionary<OodMethod, double[]>>(StringComparer.Ordinal);
        foreach ((string name, FeatureMatrix features) in oodSets)
        {
            if (!ood.TryAdd(name, Score(scorer, knn, features)))
            {
                throw new ArgumentException($"The OOD set name '{name}' appears twice.", nameof(oodSets));
            }
        }

        return new OodBenchmarkResult(
            HeadEvaluation.Accuracy(fitted.Head, idTest, idTestLabels),
            context.Alpha,
            context.SisomeWeight,
            Score(scorer, knn, idTest),
            ood);
    }

    private static Dictionary<OodMethod, double[]> Score(SisomScorer scorer, KnnScorer knn, FeatureMatrix features)
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

        return new Dictionary<OodMethod, double[]>
        {
            [OodMethod.Sisom] = batch.Sisom,
            [OodMethod.Sisome] = batch.Sisome,
            [OodMethod.Msp] = msp,
            [OodMethod.MaxLogit] = maxLogit,
            [OodMethod.Energy] = energy,
            [OodMethod.Knn] = knn.KthDistance(features),
        };
    }
}
