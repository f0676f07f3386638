using SisomCluster.Core;
using SisomCluster.Core.States;
using SisomCluster.Lab.Datasets;

namespace SisomCluster.Lab.Eval;

/// <summary>
/// Every image set of one <c>eval ood</c> run embedded by one model (features and, for an augmented model, layer
/// states): the training and test splits, the fixed far-OOD sets and the noise set of every seed.
/// </summary>
internal sealed class OodEmbeddings
{
    private OodEmbeddings(
        (FeatureMatrix Features, LayerStates? States) train,
        (FeatureMatrix Features, LayerStates? States) test,
        IReadOnlyDictionary<string, (FeatureMatrix Features, LayerStates? States)> fixedFar,
        IReadOnlyList<(FeatureMatrix Features, LayerStates? States)> noise)
    {
        Train = train;
        Test = test;
        FixedFar = fixedFar;
        Noise = noise;
    }

    public (FeatureMatrix Features, LayerStates? States) Train { get; }

    public (FeatureMatrix Features, LayerStates? States) Test { get; }

    /// <summary>digits, blank, inverted (the noise set is drawn per seed).</summary>
    public IReadOnlyDictionary<string, (FeatureMatrix Features, LayerStates? States)> FixedFar { get; }

    /// <summary>The noise set of the i-th seed (seed first + i).</summary>
    public IReadOnlyList<(FeatureMatrix Features, LayerStates? States)> Noise { get; }

    public static OodEmbeddings Embed(EmbeddingCache cache, FashionSplits splits, GreyImageSet digits, int farCount, int firstSeed, int seeds)
    {
        var train = cache.Embed(splits.Train);
        var test = cache.Embed(splits.Test);
        var fixedFar = new Dictionary<string, (FeatureMatrix Features, LayerStates? States)>(StringComparer.Ordinal)
        {
            ["digits"] = cache.Embed(digits),
            ["blank"] = cache.Embed(SyntheticOodImages.Blank(farCount)),
            ["inverted"] = cache.Embed(SyntheticOodImages.Inverted(GreyImageSet.From("fmnist-test-extra", splits.TestData, splits.UnusedTest[..farCount]))),
        };
        var noise = Enumerable.Range(firstSeed, seeds).Select(seed => cache.Embed(SyntheticOodImages.Noise(farCount, seed))).ToArray();
        return new OodEmbeddings(train, test, fixedFar, noise);
    }
}
