using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Core.Tests;

/// <summary>z = concat(s_pen, s_j…) (SISOM.md §3.3) through the context and the scorer.</summary>
public sealed class MultiLayerStateTests
{
    private static readonly StateLayer[] Layers = [new("layer3", 1000, 3), new("layer2", 0.001, 2)];

    [Fact]
    public void State_vector_is_penultimate_then_each_layer_in_order()
    {
        (LinearHead head, FeatureMatrix features, int[] labels) = Synthetic.Clusters(1, 40, 3, 6);
        LayerStates layers = RandomLayerStates(2, features.Rows);
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 }, layers);
        Assert.Equal(6 + 5, context.StateDimension);
        Assert.Equal(context.StateDimension, context.Reference.Dimension);
        Assert.Equal(Layers, context.Layers);

        (StateMatrix penultimate, _) = NeuronStates.Compute(head, features, 10);
        for (int i = 0; i < features.Rows; i++)
        {
            Assert.Equal([.. penultimate.Values.Row(i).ToArray(), .. layers.Values.Row(i).ToArray()], context.Reference.States.Row(i).ToArray());
        }

        SisomScoreBatch scored = new SisomScorer(context).Score(features, default, layers);
        Assert.Equal(context.Reference.States.Data, scored.States.Data);
    }

    [Fact]
    public void Layer_states_move_the_ratio_when_the_penultimate_states_agree()
    {
        (LinearHead head, FeatureMatrix features, int[] labels) = Synthetic.Clusters(3, 60, 3, 5);
        LayerStates layers = RandomLayerStates(4, features.Rows);
        ScoringContext context = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 }, layers);
        var scorer = new SisomScorer(context);

        // The same h twice: once with reference item 0's own layer states (so z equals z(t_0)), once with them flipped.
        var query = new FeatureMatrix([.. features.Row(0).ToArray(), .. features.Row(0).ToArray()], 2, 5);
        float[] own = layers.Values.Row(0).ToArray();
        var queryLayers = new LayerStates(Layers, new FeatureMatrix([.. own, .. own.Select(v => 1 - v)], 2, 5));
        SisomScoreBatch scored = scorer.Score(query, [0, 0], queryLayers);
        Assert.Equal(scored.Predicted[0], scored.Predicted[1]);
        Assert.NotEqual(scored.Ratios.DIn[0], scored.Ratios.DIn[1]);

        SisomScoreBatch exact = scorer.Score(new FeatureMatrix(features.Row(0).ToArray(), 1, 5), default, new LayerStates(Layers, new FeatureMatrix(own, 1, 5)));
        if (exact.Predicted[0] == labels[0])
        {
            Assert.Equal(0, exact.Ratios.DIn[0], 6);
        }
    }

    [Fact]
    public void Scorer_rejects_missing_extra_or_different_layer_states()
    {
        (LinearHead head, FeatureMatrix features, int[] labels) = Synthetic.Clusters(5, 30, 2, 4);
        LayerStates layers = RandomLayerStates(6, features.Rows);
        var multi = new SisomScorer(ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 }, layers));
        var plain = new SisomScorer(ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 }));

        Assert.Contains("missing", Assert.Throws<ArgumentException>(() => multi.Score(features)).Message, StringComparison.Ordinal);
        var otherAlpha = new LayerStates([new("layer3", 999, 3), new("layer2", 0.001, 2)], layers.Values);
        Assert.Contains("alpha 999", Assert.Throws<ArgumentException>(() => multi.Score(features, default, otherAlpha)).Message, StringComparison.Ordinal);
        Assert.Contains("penultimate layer only", Assert.Throws<ArgumentException>(() => plain.Score(features, default, layers)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LayerStates(Layers, FeatureMatrix.Zeros(2, 4)));
        Assert.Throws<ArgumentException>(() => ScoringContext.Build(head, features, labels, null, RandomLayerStates(6, features.Rows - 1)));
    }

    [Fact]
    public void Stored_parts_with_layers_must_add_up_to_the_state_length()
    {
        (LinearHead head, FeatureMatrix features, int[] labels) = Synthetic.Clusters(7, 30, 2, 4);
        ScoringContext built = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 }, RandomLayerStates(8, features.Rows));
        ScoringContext restored = ScoringContext.FromParts(head, built.Alpha, built.Reference, built.Statistics, built.SisomeWeight, built.Quantile, built.ThresholdSisom, built.ThresholdSisome, layers: built.Layers);
        Assert.Equal(built.Layers, restored.Layers);
        Assert.Throws<ArgumentException>(() => ScoringContext.FromParts(head, built.Alpha, built.Reference, built.Statistics, built.SisomeWeight, built.Quantile, built.ThresholdSisom, built.ThresholdSisome));
    }

    private static LayerStates RandomLayerStates(int seed, int rows)
    {
        var random = new Random(seed);
        int width = Layers.Sum(l => l.Width);
        float[] values = Enumerable.Range(0, rows * width).Select(_ => (float)random.NextDouble()).ToArray();
        return new LayerStates(Layers, new FeatureMatrix(values, rows, width));
    }
}
