using SisomCluster.Core;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Scoring;
using Xunit;

namespace SisomCluster.Server.Tests.Scoring;

public sealed class ContextStoreTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_saved_context_loads_and_scores_bit_identically()
    {
        var random = new Random(8);
        const int N = 90;
        const int D = 24;
        var labeled = Enumerable.Range(0, N).Select(i => new ContextBuilder.LabeledFeatures(
            $"ref-{i:D3}",
            i % 3,
            Enumerable.Range(0, D).Select(d => (float)((random.NextDouble() * 2) + (d % 3 == i % 3 ? 1.5 : 0))).ToArray())).ToList();
        (ScoringContext built, IReadOnlyList<string> ids, var fitted) = ContextBuilder.Build(labeled, classCount: 3, modelHead: null, new ScoringContextOptions());
        Assert.NotNull(fitted);
        Assert.Equal(labeled.Select(l => l.ItemId).Order(StringComparer.Ordinal), ids);

        Guid poolId = await Seed.PoolAsync(database);
        Guid contextId;
        await using (var db = database.CreateDbContext())
        {
            contextId = await new ContextStore(db).SaveAsync(built, poolId, "model-v1", ids, CancellationToken.None);
        }

        LoadedContext loaded;
        await using (var db = database.CreateDbContext())
        {
            loaded = await new ContextStore(db).LoadAsync(contextId, CancellationToken.None);
        }

        Assert.Equal(ids, loaded.ReferenceIds);
        Assert.Equal(built.Alpha, loaded.Scoring.Alpha);
        Assert.Equal(built.Reference.Margins, loaded.Scoring.Reference.Margins);
        var queries = new FeatureMatrix(Enumerable.Range(0, 40 * D).Select(_ => (float)(random.NextDouble() * 3)).ToArray(), 40, D);
        SisomScoreBatch a = new SisomScorer(built).Score(queries);
        SisomScoreBatch b = new SisomScorer(loaded.Scoring).Score(queries);
        Assert.Equal(a.Sisom, b.Sisom);
        Assert.Equal(a.Sisome, b.Sisome);
        Assert.Equal(a.OodSisom, b.OodSisom);
        Assert.Equal(a.Ratios.NearestReference, b.Ratios.NearestReference);

        // KNN: its bank (the reference features), k and threshold, and the energy threshold come back from storage.
        Assert.Equal(built.Knn!.RequestedK, loaded.Scoring.Knn!.RequestedK);
        Assert.Equal(built.ThresholdKnn, loaded.Scoring.ThresholdKnn);
        Assert.Equal(built.ThresholdEnergy, loaded.Scoring.ThresholdEnergy);
        Assert.Equal(a.Knn, b.Knn);
        Assert.Equal(a.OodKnn, b.OodKnn);
        Assert.Equal(a.OodEnergy, b.OodEnergy);
    }

    [Fact]
    public async Task A_multi_layer_context_keeps_its_layers_in_storage()
    {
        var random = new Random(9);
        const int N = 60;
        const int D = 8;
        StateLayer[] layers = [new("layer3", 1000, 4), new("layer2", 0.001, 3)];
        float[] Row(int width) => Enumerable.Range(0, width).Select(_ => (float)random.NextDouble()).ToArray();
        var features = new FeatureMatrix(Enumerable.Range(0, N).SelectMany(i => Row(D).Select(v => v + (i % 2))).ToArray(), N, D);
        var states = new LayerStates(layers, new FeatureMatrix(Enumerable.Range(0, N).SelectMany(_ => Row(7)).ToArray(), N, 7));
        int[] labels = Enumerable.Range(0, N).Select(i => i % 2).ToArray();
        var head = new LinearHead(Enumerable.Range(0, 2 * D).Select(_ => random.NextDouble() - 0.5).ToArray(), [0.1, -0.1], 2, D);
        ScoringContext built = ScoringContext.Build(head, features, labels, new ScoringContextOptions { Alpha = 10 }, states);
        string[] ids = Enumerable.Range(0, N).Select(i => $"ref-{i:D3}").ToArray();

        Guid poolId = await Seed.PoolAsync(database);
        Guid contextId;
        await using (var db = database.CreateDbContext())
        {
            contextId = await new ContextStore(db).SaveAsync(built, poolId, "model-ml", ids, CancellationToken.None);
        }

        LoadedContext loaded;
        await using (var db = database.CreateDbContext())
        {
            loaded = await new ContextStore(db).LoadAsync(contextId, CancellationToken.None);
        }

        Assert.Equal(layers, loaded.Scoring.Layers);
        Assert.Equal(D + 7, loaded.Scoring.Reference.Dimension);
        SisomScoreBatch a = new SisomScorer(built).Score(features, default, states);
        SisomScoreBatch b = new SisomScorer(loaded.Scoring).Score(features, default, states);
        Assert.Equal(a.Sisom, b.Sisom);
    }

    [Fact]
    public void Reference_version_depends_on_ids_and_labels_not_order()
    {
        string v1 = ReferenceVersion.Of([("a", 1), ("b", 2)]);
        Assert.Equal(v1, ReferenceVersion.Of([("b", 2), ("a", 1)]));
        Assert.NotEqual(v1, ReferenceVersion.Of([("a", 1), ("b", 1)]));
        Assert.NotEqual(v1, ReferenceVersion.Of([("a", 1), ("c", 2)]));
    }

    [Fact]
    public void Builder_joins_layer_states_in_item_order_and_needs_them_for_every_item()
    {
        var random = new Random(10);
        StateLayer[] layers = [new("layer3", 1000, 2)];
        var labeled = Enumerable.Range(0, 30).Select(i => new ContextBuilder.LabeledFeatures(
            $"ref-{29 - i:D2}",
            i % 2,
            Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble() + (i % 2)).ToArray(),
            [i / 30f, 1 - (i / 30f)])).ToList();
        (ScoringContext built, IReadOnlyList<string> ids, _) = ContextBuilder.Build(labeled, 2, null, new ScoringContextOptions { Alpha = 10 }, layers);
        Assert.Equal(layers, built.Layers);
        for (int r = 0; r < ids.Count; r++)
        {
            float[] expected = labeled.Single(l => l.ItemId == ids[r]).LayerStates!;
            Assert.Equal(expected, built.Reference.States.Row(r)[4..].ToArray());
        }

        labeled[3] = labeled[3] with { LayerStates = null };
        var e = Assert.Throws<ArgumentException>(() => ContextBuilder.Build(labeled, 2, null, new ScoringContextOptions { Alpha = 10 }, layers));
        Assert.Contains(labeled[3].ItemId, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Building_without_labels_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => ContextBuilder.Build([], 3, null, new ScoringContextOptions()));
        Assert.Contains("sisom labels import", e.Message, StringComparison.Ordinal);
    }
}
