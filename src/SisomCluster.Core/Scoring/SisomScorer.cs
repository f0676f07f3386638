using SisomCluster.Core.Baselines;
using SisomCluster.Core.States;

namespace SisomCluster.Core.Scoring;

/// <summary>
/// Scores items against a <see cref="ScoringContext"/>: states, prediction, r, energy, SISOM, SISOMe, OOD flags and the
/// logit baselines (MSP, MaxLogit, entropy, margin) of the same forward pass and the KNN score of the same features —
/// every per-item score, in one call over one batch held in memory (no second read of the features).
/// </summary>
public sealed class SisomScorer
{
    private readonly ScoringContext _context;
    private readonly Neighbours.NeighbourSearchOptions _search;

    public SisomScorer(ScoringContext context, Neighbours.NeighbourSearchOptions? search = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _search = search ?? Neighbours.NeighbourSearchOptions.Default;
        _search.Validate();
    }

    /// <summary>
    /// Scores the rows of <paramref name="features"/> (penultimate features h). When an item is itself a
    /// reference item, pass its index in <paramref name="memberIndex"/> (−1 otherwise) so it is left out
    /// by identity, from the SISOM search and the KNN search alike (SISOM.md §5). A context with layers needs the items' <paramref name="layerStates"/> for the same layers.
    /// </summary>
    public SisomScoreBatch Score(FeatureMatrix features, ReadOnlySpan<int> memberIndex = default, LayerStates? layerStates = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ScoringContext c = _context;
        if (features.Columns != c.Head.FeatureDimension)
        {
            throw new ArgumentException($"query features have D = {features.Columns}, the scoring context expects D = {c.Head.FeatureDimension}.", nameof(features));
        }

        if (c.Layers.Count > 0 && (layerStates is null || !LayerStates.SameLayers(layerStates.Layers, c.Layers)))
        {
            throw new ArgumentException($"The scoring context combines layers {Describe(c.Layers)}; the items' layer states are {(layerStates is null ? "missing" : Describe(layerStates.Layers))}.", nameof(layerStates));
        }

        if (c.Layers.Count == 0 && layerStates is { Layers.Count: > 0 })
        {
            throw new ArgumentException($"The scoring context uses the penultimate layer only; the items carry layer states {Describe(layerStates.Layers)}.", nameof(layerStates));
        }

        (StateMatrix penultimate, FeatureMatrix logits) = NeuronStates.Compute(c.Head, features, c.Alpha, c.Reference.StateVectors.Precision, _search.MaxDegreeOfParallelism);
        StateMatrix states = NeuronStates.Concatenate(penultimate, layerStates);
        int n = features.Rows;
        var predicted = new int[n];
        var energy = new double[n];
        var baselines = new LogitBaselines[n];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> l = logits.Row(i);
            predicted[i] = ArgMax(l);
            baselines[i] = LogitBaselines.Compute(l);

            // −logsumexp(l) of the same doubles as ScoreFormulas.Energy, so bit for bit the same E.
            energy[i] = baselines[i].Energy;
        }

        DistanceRatios ratios = DistanceRatios.Compute(c.Reference, states, predicted, memberIndex, c.NeighbourRank, _search);
        double[] knn = c.Knn?.KthDistance(features, memberIndex) ?? Filled(n, double.NaN);
        var sisom = new double[n];
        var sisome = new double[n];
        var oodSisom = new bool[n];
        var oodSisome = new bool[n];
        var oodKnn = new bool[n];
        var oodEnergy = new bool[n];
        var isReference = new bool[n];
        for (int i = 0; i < n; i++)
        {
            sisom[i] = ScoreFormulas.Sisom(ratios.Ratio[i], c.Statistics);
            sisome[i] = ScoreFormulas.Sisome(ratios.Ratio[i], energy[i], c.SisomeWeight, c.Statistics);
            oodSisom[i] = ratios.NoReference[i] || sisom[i] > c.ThresholdSisom;
            oodSisome[i] = ratios.NoReference[i] || sisome[i] > c.ThresholdSisome;

            // NaN thresholds (a context without them) compare false: such items are never flagged by that score.
            oodKnn[i] = knn[i] > c.ThresholdKnn;
            oodEnergy[i] = energy[i] > c.ThresholdEnergy;
            isReference[i] = !memberIndex.IsEmpty && memberIndex[i] >= 0;
        }

        return new SisomScoreBatch(states.Values, logits, predicted, ratios, energy, baselines, sisom, sisome, knn, oodSisom, oodSisome, oodKnn, oodEnergy, isReference);
    }

    private static double[] Filled(int n, double value)
    {
        var values = new double[n];
        Array.Fill(values, value);
        return values;
    }

    private static string Describe(IReadOnlyList<StateLayer> layers) =>
        "[" + string.Join(", ", layers.Select(l => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{l.Name} (alpha {l.Alpha}, {l.Width})"))) + "]";

    /// <summary>Index of the largest value; the lowest index on ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
