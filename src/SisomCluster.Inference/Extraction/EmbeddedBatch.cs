namespace SisomCluster.Inference.Extraction;

/// <summary>
/// One batch out of the pipeline. The arrays are the pipeline's own buffers: read or copy them in the
/// callback; they are reused for a later batch after it returns.
/// </summary>
public sealed class EmbeddedBatch
{
    internal EmbeddedBatch(int capacity, int featureDimension, int classCount)
    {
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

    /// <summary>Items of this batch that failed to decode.</summary>
    public List<ItemFailure> Failures { get; } = [];

    public ReadOnlySpan<float> FeatureRow(int index) => Features.AsSpan(index * FeatureDimension, FeatureDimension);
}
