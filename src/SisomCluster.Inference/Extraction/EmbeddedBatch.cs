using SisomCluster.Core.States;

namespace SisomCluster.Inference.Extraction;

/// <summary>
/// One batch out of the pipeline. The arrays are the pipeline's own buffers: read or copy them in the
/// callback; they are reused for a later batch after it returns.
/// </summary>
public sealed class EmbeddedBatch
{
    internal EmbeddedBatch(int capacity, int featureDimension, int classCount, IReadOnlyList<StateLayer>? layers = null)
    {
        Layers = layers ?? [];
        LayerStates = Layers.Select(l => new float[capacity * l.Width]).ToArray();
        Ids = new string[capacity];
        Features = new float[capacity * featureDimension];
        Logits = new float[capacity * classCount];
        FeatureDimension = featureDimension;
        ClassCount = classCount;
    }

    /// <summary>Ids of the items that have features, in source order.</summary>
    public string[] Ids { get; }

    public int Count { get; internal set; }

    public int FeatureDimension { get; }

    /// <summary>Count × D features h.</summary>
    public float[] Features { get; }

    /// <summary>Count × K logits; empty when the model has none.</summary>
    public float[] Logits { get; }

    public int ClassCount { get; }

    /// <summary>The layer states an augmented model outputs (SISOM.md §3.2); empty for a plain model.</summary>
    public IReadOnlyList<StateLayer> Layers { get; }

    /// <summary>Per layer, Count × C_j states s_j.</summary>
    public IReadOnlyList<float[]> LayerStates { get; }

    /// <summary>Σ C_j, the width of one item's layer states side by side.</summary>
    public int LayerStateWidth => Layers.Sum(l => l.Width);

    /// <summary>Items of this batch that failed to decode.</summary>
    public List<ItemFailure> Failures { get; } = [];

    public ReadOnlySpan<float> FeatureRow(int index) => Features.AsSpan(index * FeatureDimension, FeatureDimension);

    /// <summary>Item <paramref name="index"/>'s layer states, layer after layer, into <paramref name="destination"/> (length Σ C_j).</summary>
    public void CopyLayerStateRow(int index, Span<float> destination)
    {
        int offset = 0;
        for (int j = 0; j < Layers.Count; j++)
        {
            int width = Layers[j].Width;
            LayerStates[j].AsSpan(index * width, width).CopyTo(destination.Slice(offset, width));
            offset += width;
        }
    }

    /// <summary>The batch's layer states as Core wants them (a copy: the batch buffers are reused); null for a plain model.</summary>
    public Core.States.LayerStates? ToLayerStates()
    {
        if (Layers.Count == 0)
        {
            return null;
        }

        int width = LayerStateWidth;
        var values = new float[Count * width];
        for (int i = 0; i < Count; i++)
        {
            CopyLayerStateRow(i, values.AsSpan(i * width, width));
        }

        return new Core.States.LayerStates(Layers, new Core.FeatureMatrix(values, Count, width));
    }
}
