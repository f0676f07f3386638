using SisomCluster.Core;
using SisomCluster.Core.Reference;
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

    /// <summary>
    /// Incremental margins in the product (ARCHITECTURE.md §4): a saved context keeps its margins and leave-one-out
    /// neighbours at every α it evaluated; the next reference-set version of the same pool and model loads them with the
    /// stored features and, with the same head, updates them for added, removed and relabelled items — giving the context a
    /// build from scratch gives. A changed feature, another head or another model version reuses nothing.
    /// </summary>
    [Fact]
    public async Task The_next_reference_version_updates_the_stored_state_and_gives_the_from_scratch_context()
    {
        const int D = 16;
        float[] Feature(int i)
        {
            var r = new Random(1000 + i);
            return Enumerable.Range(0, D).Select(d => (float)(r.NextDouble() + (d % 3 == i % 3 ? 1.2 : 0))).ToArray();
        }

        var random = new Random(12);
        var head = new LinearHead(Enumerable.Range(0, 3 * D).Select(_ => random.NextDouble() - 0.5).ToArray(), [0.1, 0, -0.1], 3, D);
        var options = new ScoringContextOptions { KnnK = 5 };
        List<ContextBuilder.LabeledFeatures> v1 = Enumerable.Range(0, 120).Select(i => new ContextBuilder.LabeledFeatures($"item-{i:D3}", i % 3, Feature(i))).ToList();
        ContextBuilder.Built first = ContextBuilder.Build(v1, 3, head, options, layers: null, previous: null);
        Assert.Equal(0, first.Kept);

        Guid poolId = await Seed.PoolAsync(database);
        Guid firstId;
        await using (var db = database.CreateDbContext())
        {
            firstId = await new ContextStore(db).SaveAsync(first.Context, poolId, "model-v1", first.ReferenceIds, CancellationToken.None);
        }

        PreviousReference? previous;
        await using (var db = database.CreateDbContext())
        {
            previous = await new ContextStore(db).LoadPreviousAsync(poolId, "model-v1", CancellationToken.None);
            Assert.Null(await new ContextStore(db).LoadPreviousAsync(poolId, "model-v2", CancellationToken.None));
        }

        Assert.NotNull(previous);
        Assert.Equal(firstId, previous.ContextId);
        Assert.Equal(first.ReferenceIds, previous.ItemIds);
        Assert.Equal(options.AlphaGrid.Order(), previous.States.Keys.Order());
        foreach ((double alpha, ReferenceState state) in first.Context.ReferenceStates)
        {
            Assert.Equal(state.Margins, previous.States[alpha].Margins);
            Assert.Equal(state.MarginNeighbours, previous.States[alpha].MarginNeighbours);
            Assert.Equal(state.LooNeighbours, previous.States[alpha].LooNeighbours);
            Assert.Equal(state.LooDistances, previous.States[alpha].LooDistances);
        }

        // The next version: 25 items added, 6 removed (among them neighbours of others), 4 relabelled, 1 whose features changed.
        var removed = new HashSet<int>([previous.States[first.Context.Alpha].MarginNeighbours[0], previous.States[first.Context.Alpha].LooNeighbours[1], 7, 50, 51, 119]);
        var relabelled = new HashSet<int>([previous.States[first.Context.Alpha].MarginNeighbours[2], 3, 60, 90]);
        List<ContextBuilder.LabeledFeatures> v2 = Enumerable.Range(0, 145)
            .Where(i => !removed.Contains(i))
            .Select(i => new ContextBuilder.LabeledFeatures($"item-{i:D3}", relabelled.Contains(i) ? (i + 1) % 3 : i % 3, i == 20 ? Feature(9999) : Feature(i)))
            .ToList();
        ContextBuilder.Built updated = ContextBuilder.Build(v2, 3, head, options, layers: null, previous);
        ContextBuilder.Built scratch = ContextBuilder.Build(v2, 3, head, options, layers: null, previous: null);
        Assert.Equal(Enumerable.Range(0, 120).Count(i => !removed.Contains(i) && !relabelled.Contains(i) && i != 20), updated.Kept);
        Assert.Equal(scratch.ReferenceIds, updated.ReferenceIds);
        Assert.Equal(scratch.Context.Alpha, updated.Context.Alpha);
        Assert.Equal(scratch.Context.AlphaGrid.Select(a => a.RAvg), updated.Context.AlphaGrid.Select(a => a.RAvg));
        Assert.Equal(scratch.Context.Reference.Margins, updated.Context.Reference.Margins);
        Assert.Equal(scratch.Context.Statistics, updated.Context.Statistics);
        Assert.Equal(scratch.Context.ThresholdSisom, updated.Context.ThresholdSisom);
        Assert.Equal(scratch.Context.ThresholdSisome, updated.Context.ThresholdSisome);
        Assert.Equal(scratch.Context.ThresholdKnn, updated.Context.ThresholdKnn);
        foreach (double alpha in options.AlphaGrid)
        {
            Assert.Equal(scratch.Context.ReferenceStates[alpha].LooNeighbours, updated.Context.ReferenceStates[alpha].LooNeighbours);
            Assert.Equal(scratch.Context.ReferenceStates[alpha].LooRatios(), updated.Context.ReferenceStates[alpha].LooRatios());
        }

        // A head fitted on the new labels moves every state: nothing is kept, and the context is still right.
        ContextBuilder.Built fitted = ContextBuilder.Build(v2, 3, modelHead: null, options, layers: null, previous);
        Assert.Equal(0, fitted.Kept);
        Assert.Equal(ContextBuilder.Build(v2, 3, modelHead: null, options).Context.Reference.Margins, fitted.Context.Reference.Margins);
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
