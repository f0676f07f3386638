using SisomCluster.Core.States;

namespace SisomCluster.Core.Scoring;

/// <summary>Scores items against a <see cref="ScoringContext"/>: states, prediction, r, energy, SISOM, SISOMe, OOD flags.</summary>
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
    /// by identity.
    /// </summary>
    public SisomScoreBatch Score(FeatureMatrix features, ReadOnlySpan<int> memberIndex = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ScoringContext c = _context;
        if (features.Columns != c.Head.FeatureDimension)
        {
            throw new ArgumentException($"query features have D = {features.Columns}, the scoring context expects D = {c.Head.FeatureDimension}.", nameof(features));
        }

        (StateMatrix states, FeatureMatrix logits) = NeuronStates.Compute(c.Head, features, c.Alpha, c.Reference.StateVectors.Precision, _search.MaxDegreeOfParallelism);
        int n = features.Rows;
        var predicted = new int[n];
        var energy = new double[n];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> l = logits.Row(i);
            predicted[i] = ArgMax(l);
            energy[i] = ScoreFormulas.Energy(l);
        }

        DistanceRatios ratios = DistanceRatios.Compute(c.Reference, states, predicted, memberIndex, c.NeighbourRank, _search);
        var sisom = new double[n];
        var sisome = new double[n];
        var oodSisom = new bool[n];
        var oodSisome = new bool[n];
        for (int i = 0; i < n; i++)
        {
            sisom[i] = ScoreFormulas.Sisom(ratios.Ratio[i], c.Statistics);
            sisome[i] = ScoreFormulas.Sisome(ratios.Ratio[i], energy[i], c.SisomeWeight, c.Statistics);
            oodSisom[i] = ratios.NoReference[i] || sisom[i] > c.ThresholdSisom;
            oodSisome[i] = ratios.NoReference[i] || sisome[i] > c.ThresholdSisome;
        }

        return new SisomScoreBatch(states.Values, logits, predicted, ratios, energy, sisom, sisome, oodSisom, oodSisome);
    }

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
