using SisomCluster.Core;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Server.Scoring;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Worker;

/// <summary>A worker with an augmented model scores with z = concat(s_pen, s_j…) when the context has layers.</summary>
public sealed class MultiLayerShardScorerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-ml-worker-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Images_are_scored_with_their_layer_states_and_stored_embeddings_are_failed()
    {
        ModelPackage plain = SmallCnn();
        ModelPackage augmented = ModelAugmentation.Augment(plain, [new LayerChoice("/n/Relu_1_output_0", 0.1), new LayerChoice("/n/Relu_3_output_0", 100)], Path.Combine(_directory, "small_ml.onnx"));
        using var extractor = new FeatureExtractor(augmented, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
        Assert.Equal([new StateLayer("/n/Relu_1_output_0", 0.1, 16), new StateLayer("/n/Relu_3_output_0", 100, 32)], extractor.StateLayers);

        FashionMnist data = FashionMnist.Load(train: true, limit: 80);
        (FeatureMatrix referenceFeatures, LayerStates referenceStates) = await EmbedAsync(extractor, data, Enumerable.Range(0, 50));
        int[] labels = Enumerable.Range(0, 50).Select(i => (int)data.Labels[i]).ToArray();
        LinearHead head = ModelPackage.ReadFinalLinearLayer(augmented.ModelPath);
        ScoringContext scoring = ScoringContext.Build(head, referenceFeatures, labels, new ScoringContextOptions { Alpha = 100 }, referenceStates);
        var context = new LoadedContext(Guid.NewGuid(), scoring, Enumerable.Range(0, 50).Select(i => $"ref-{i:D2}").ToArray());

        int[] query = Enumerable.Range(50, 30).ToArray();
        var items = query.Select(i => new PoolItem { Id = $"q-{i}", Bytes = data.EncodePng(i) }).ToList();
        items.Add(new PoolItem { Id = "stored", Embedding = new float[32] });
        ShardScores scores = await new ShardScorer(extractor, new PipelineOptions { BatchSize = 8 }).ScoreAsync(items, context, keepEmbeddings: false, CancellationToken.None);
        Assert.Equal(query.Select(i => $"q-{i}"), scores.Scored.Select(s => s.Id));
        Assert.Equal([("stored", "no_layer_states")], scores.Failed.Select(f => (f.Id, f.Reason)));

        // Stored embeddings read as blocks (the re-scoring path) fail the same way, every one of them.
        var failed = new List<FailedItem>();
        ShardScoreSummary blocks = await new ShardScorer(null).ScoreBlocksAsync(
            new[] { new EmbeddingBlock(["s-1", "s-2"], new float[2 * 32], 32) }.ToAsyncEnumerable(),
            context,
            keepEmbeddings: false,
            (batch, _) =>
            {
                Assert.Empty(batch.Scored);
                failed.AddRange(batch.Failed);
                return ValueTask.CompletedTask;
            },
            CancellationToken.None);
        Assert.Equal((0, 2), (blocks.Scored, blocks.Failed));
        Assert.Equal([("s-1", "no_layer_states"), ("s-2", "no_layer_states")], failed.Select(f => (f.Id, f.Reason)));

        // The same items scored directly with their layer states give the worker's numbers; without them, other numbers.
        (FeatureMatrix queryFeatures, LayerStates queryStates) = await EmbedAsync(extractor, data, query);
        SisomScoreBatch direct = new SisomScorer(scoring).Score(queryFeatures, default, queryStates);
        Assert.Equal(direct.Sisom, scores.Scored.Select(s => s.Score.Sisom));
        ScoringContext penultimateOnly = ScoringContext.Build(head, referenceFeatures, labels, new ScoringContextOptions { Alpha = 100 });
        Assert.NotEqual(new SisomScorer(penultimateOnly).Score(queryFeatures).Sisom, scores.Scored.Select(s => s.Score.Sisom));

        // A model without those layers cannot serve this context.
        using var plainExtractor = new FeatureExtractor(plain, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new ShardScorer(plainExtractor).ScoreAsync(items.Take(2), context, false, CancellationToken.None));
        Assert.Contains("/n/Relu_3_output_0", e.Message, StringComparison.Ordinal);
    }

    private ModelPackage SmallCnn()
    {
        string path = Path.Combine(_directory, "small_cnn.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx"), path);
        var manifest = new ModelManifest
        {
            Name = "small_cnn",
            Input = new ManifestInput { Name = "input", Width = 28, Height = 28, Colour = "grey", Scale = 1.0 / 255, Mean = [0], Std = [1], Resize = "stretch" },
            Outputs = new ManifestOutputs { Features = "features", Logits = "logits" },
            FeatureDimension = 32,
            ClassCount = 10,
        };
        File.WriteAllText(ModelPackage.ManifestPathFor(path), manifest.ToJson());
        return ModelPackage.Load(path);
    }

    private static async Task<(FeatureMatrix Features, LayerStates States)> EmbedAsync(FeatureExtractor extractor, FashionMnist data, IEnumerable<int> indices)
    {
        var features = new List<float>();
        var states = new List<float>();
        int width = extractor.StateLayers.Sum(l => l.Width);
        var row = new float[width];
        await new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = 8 }).RunAsync(
            indices.Select(i => new SourceImage($"{i}", data.EncodePng(i))),
            (b, _) =>
            {
                features.AddRange(b.Features.AsSpan(0, b.Count * b.FeatureDimension).ToArray());
                for (int i = 0; i < b.Count; i++)
                {
                    b.CopyLayerStateRow(i, row);
                    states.AddRange(row);
                }

                return ValueTask.CompletedTask;
            });
        int n = features.Count / 32;
        return (new FeatureMatrix([.. features], n, 32), new LayerStates(extractor.StateLayers, new FeatureMatrix([.. states], n, width)));
    }
}
