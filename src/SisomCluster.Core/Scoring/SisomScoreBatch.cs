using SisomCluster.Core.Baselines;

namespace SisomCluster.Core.Scoring;

/// <summary>Per-item results of <see cref="SisomScorer.Score"/>, one array entry per input row.</summary>
public sealed class SisomScoreBatch
{
    internal SisomScoreBatch(FeatureMatrix states, FeatureMatrix logits, int[] predicted, DistanceRatios ratios, double[] energy, LogitBaselines[] baselines, double[] sisom, double[] sisome, double[] knn, bool[] oodSisom, bool[] oodSisome, bool[] oodKnn, bool[] oodEnergy, bool[] isReference)
    {
        States = states;
        Logits = logits;
        Predicted = predicted;
        Ratios = ratios;
        Energy = energy;
        Baselines = baselines;
        Sisom = sisom;
        Sisome = sisome;
        OodSisom = oodSisom;
        OodSisome = oodSisome;
        Knn = knn;
        OodKnn = oodKnn;
        OodEnergy = oodEnergy;
        IsReference = isReference;
    }

    public int Count => Predicted.Length;

    /// <summary>z(x), the state vectors (for storage, diversity and similar-item search).</summary>
    public FeatureMatrix States { get; }

    public FeatureMatrix Logits { get; }

    /// <summary>ŷ = argmax l (lowest index on ties).</summary>
    public int[] Predicted { get; }

    /// <summary>Nearest reference, d_in, d_out, r and the no_reference flag.</summary>
    public DistanceRatios Ratios { get; }

    /// <summary>E = −logsumexp(l); the same value as <see cref="LogitBaselines.Energy"/> of <see cref="Baselines"/>.</summary>
    public double[] Energy { get; }

    /// <summary>The logit baselines (MSP, MaxLogit, energy, entropy, margin) of each item, SISOM.md §7.</summary>
    public LogitBaselines[] Baselines { get; }

    public double[] Sisom { get; }

    public double[] Sisome { get; }

    /// <summary>s &gt; τ, or no reference of the predicted class (novel by definition).</summary>
    public bool[] OodSisom { get; }

    public bool[] OodSisome { get; }

    /// <summary>The KNN score of each item (SISOM.md §7.1), from the same features in the same call; NaN when the context has no KNN bank.</summary>
    public double[] Knn { get; }

    public bool[] OodKnn { get; }

    public bool[] OodEnergy { get; }

    /// <summary>The item is a member of T, scored with itself left out by identity (SISOM.md §5).</summary>
    public bool[] IsReference { get; }

    /// <summary>Every score of item <paramref name="index"/> in one value.</summary>
    public SisomItemScore this[int index] => new(
        Predicted[index],
        Ratios.NearestReference[index],
        Ratios.DIn[index],
        Ratios.DOut[index],
        Ratios.Ratio[index],
        Sisom[index],
        Sisome[index],
        Knn[index],
        Baselines[index],
        OodSisom[index],
        OodSisome[index],
        OodKnn[index],
        OodEnergy[index],
        Ratios.NoReference[index],
        IsReference[index]);
}
