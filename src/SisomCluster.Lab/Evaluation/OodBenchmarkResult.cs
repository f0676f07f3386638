using SisomCluster.Core.Evaluation;

namespace SisomCluster.Lab.Evaluation;

/// <summary>
/// Scores of every <see cref="OodMethod"/> on the ID test set and on each named OOD set, plus what the
/// fitted head and the SISOM context came out as.
/// </summary>
public sealed class OodBenchmarkResult
{
    internal OodBenchmarkResult(
        double idAccuracy,
        double alpha,
        double sisomeWeight,
        IReadOnlyDictionary<OodMethod, double[]> idScores,
        IReadOnlyDictionary<string, IReadOnlyDictionary<OodMethod, double[]>> oodScores,
        double? multiLayerAlpha = null,
        double? multiLayerSisomeWeight = null)
    {
        MultiLayerAlpha = multiLayerAlpha;
        MultiLayerSisomeWeight = multiLayerSisomeWeight;
        Methods = Enum.GetValues<OodMethod>().Where(idScores.ContainsKey).ToArray();
        IdAccuracy = idAccuracy;
        Alpha = alpha;
        SisomeWeight = sisomeWeight;
        IdScores = idScores;
        OodScores = oodScores;
    }

    /// <summary>Accuracy of the fitted head on the ID test set.</summary>
    public double IdAccuracy { get; }

    /// <summary>The α SISOM chose (SISOM.md §3.4).</summary>
    public double Alpha { get; }

    public double SisomeWeight { get; }

    /// <summary>α_pen of the multi-layer context (the layers' α are fixed in the model); null without layer states.</summary>
    public double? MultiLayerAlpha { get; }

    public double? MultiLayerSisomeWeight { get; }

    /// <summary>The methods scored, in <see cref="OodMethod"/> order (the multi-layer ones only with layer states).</summary>
    public IReadOnlyList<OodMethod> Methods { get; }

    public IReadOnlyDictionary<OodMethod, double[]> IdScores { get; }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<OodMethod, double[]>> OodScores { get; }

    /// <summary>AUROC, FPR@95, AUPR of <paramref name="method"/>: the ID test set against the union of <paramref name="oodSets"/>.</summary>
    public OodMetrics Metrics(OodMethod method, params IReadOnlyList<string> oodSets)
    {
        (double[] scores, bool[] isOod) = Labelled(method, oodSets);
        return OodMetrics.Compute(scores, isOod);
    }

    /// <summary>The ROC curve of <paramref name="method"/> on the ID test set against the union of <paramref name="oodSets"/>.</summary>
    public RocCurve Roc(OodMethod method, params IReadOnlyList<string> oodSets)
    {
        (double[] scores, bool[] isOod) = Labelled(method, oodSets);
        return RocCurve.Compute(scores, isOod);
    }

    private (double[] Scores, bool[] IsOod) Labelled(OodMethod method, IReadOnlyList<string> oodSets)
    {
        ArgumentNullException.ThrowIfNull(oodSets);
        if (oodSets.Count == 0)
        {
            throw new ArgumentException("Name at least one OOD set.", nameof(oodSets));
        }

        var scores = new List<double>(IdScores[method]);
        int id = scores.Count;
        foreach (string set in oodSets)
        {
            if (!OodScores.TryGetValue(set, out IReadOnlyDictionary<OodMethod, double[]>? perMethod))
            {
                throw new ArgumentException($"No OOD set named '{set}' (have {string.Join(", ", OodScores.Keys)}).", nameof(oodSets));
            }

            scores.AddRange(perMethod[method]);
        }

        bool[] isOod = Enumerable.Range(0, scores.Count).Select(i => i >= id).ToArray();
        return ([.. scores], isOod);
    }
}
