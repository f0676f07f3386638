using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Server.Scoring;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Worker;

public sealed class ShardScorerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sisom-worker-" + Guid.NewGuid().ToString("N"));
    private readonly FeatureExtractor _extractor;

    public ShardScorerTests()
    {
        _extractor = new FeatureExtractor(ModelPackage.Load(DefaultModels.PrepareResNet18(_directory)), new ExtractorOptions { Provider = ExecutionProvider.Cpu });
    }

    public void Dispose()
    {
        _extractor.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Every_item_is_scored_or_failed_once_and_embeddings_score_like_images()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 120);
        int[] labeled = Enumerable.Range(0, 120).Where(i => data.Labels[i] < 6).Take(60).ToArray();
        FeatureMatrix referenceFeatures = await EmbedAsync(data, labeled);
        int[] labels = labeled.Select(i => (int)data.Labels[i]).ToArray();
        var head = LogisticRegressionFitter.Fit(referenceFeatures, labels, 6).Head;
        var context = new LoadedContext(Guid.NewGuid(), ScoringContext.Build(head, referenceFeatures, labels), labeled.Select(i => $"ref-{i}").ToArray());

        int[] query = Enumerable.Range(60, 24).ToArray();
        var items = query.Select(i => new PoolItem { Id = $"q-{i}", Bytes = data.EncodePng(i) }).ToList();
        items.Add(new PoolItem { Id = "corrupt", Bytes = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5, 6, 7, 8, 9 } });
        items.Add(new PoolItem { Id = "missing", ErrorCode = PoolItem.MissingCode, Error = "no such file" });

        var scorer = new ShardScorer(_extractor, new PipelineOptions { BatchSize = 8 });
        ShardScores fromImages = await scorer.ScoreAsync(items, context, keepEmbeddings: true, CancellationToken.None);
        Assert.Equal(query.Select(i => $"q-{i}"), fromImages.Scored.Select(s => s.Id));
        Assert.Equal(["missing", "corrupt"], fromImages.Failed.Select(f => f.Id).Order(StringComparer.Ordinal).Reverse());
        Assert.Contains(fromImages.Failed, f => f.Id == "missing" && f.Reason == "missing");
        Assert.Contains(fromImages.Failed, f => f.Id == "corrupt" && f.Reason is "corrupt" or "truncated");
        Assert.All(fromImages.Scored, s => Assert.Equal(512, s.Embedding!.Length));
        Assert.All(fromImages.Scored, s => Assert.StartsWith("ref-", s.NearestReference, StringComparison.Ordinal));

        // Re-scoring from stored embeddings gives the same numbers without running the model.
        var embeddingItems = fromImages.Scored.Select(s => new PoolItem { Id = s.Id, Embedding = s.Embedding }).ToList();
        ShardScores fromEmbeddings = await new ShardScorer(null).ScoreAsync(embeddingItems, context, keepEmbeddings: false, CancellationToken.None);
        Assert.Equal(fromImages.Scored.Select(s => s.Score.Sisom), fromEmbeddings.Scored.Select(s => s.Score.Sisom));
        Assert.Equal(fromImages.Scored.Select(s => s.NearestReference), fromEmbeddings.Scored.Select(s => s.NearestReference));
        Assert.All(fromEmbeddings.Scored, s => Assert.Null(s.Embedding));
    }

    /// <summary>
    /// Re-scoring stored embeddings on an image pool: a shard whose items all carry an embedding never asks for the model
    /// (no ONNX Runtime session is built for it); one image among them does, once, and every score is the eager scorer's.
    /// </summary>
    [Fact]
    public async Task A_shard_of_stored_embeddings_never_asks_for_the_model_and_one_image_asks_once()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 60);
        int[] labeled = Enumerable.Range(0, 60).Where(i => data.Labels[i] < 6).Take(30).ToArray();
        FeatureMatrix referenceFeatures = await EmbedAsync(data, labeled);
        int[] labels = labeled.Select(i => (int)data.Labels[i]).ToArray();
        var head = LogisticRegressionFitter.Fit(referenceFeatures, labels, 6).Head;
        var context = new LoadedContext(Guid.NewGuid(), ScoringContext.Build(head, referenceFeatures, labels), labeled.Select(i => $"ref-{i}").ToArray());
        var images = Enumerable.Range(40, 20).Select(i => new PoolItem { Id = $"q-{i}", Bytes = data.EncodePng(i) }).ToList();
        ShardScores eager = await new ShardScorer(_extractor, new PipelineOptions { BatchSize = 8 }).ScoreAsync(images, context, keepEmbeddings: true, CancellationToken.None);

        int asked = 0;
        FeatureExtractor Model()
        {
            asked++;
            return _extractor;
        }

        var stored = eager.Scored.Select(s => new PoolItem { Id = s.Id, Embedding = s.Embedding }).ToList();
        ShardScores reused = await ShardScorer.WithModelOnDemand(Model, new PipelineOptions { BatchSize = 8 }).ScoreAsync(stored, context, keepEmbeddings: false, CancellationToken.None);
        Assert.Equal(0, asked);
        Assert.Equal(eager.Scored.Select(s => (s.Id, s.Score.Sisom, s.Score.Knn)), reused.Scored.Select(s => (s.Id, s.Score.Sisom, s.Score.Knn)));

        // Half stored, half images (new items): the model is asked for once, and the scores are the same again.
        var mixed = stored.Take(10).Concat(images.Skip(10)).ToList();
        ShardScores both = await ShardScorer.WithModelOnDemand(Model, new PipelineOptions { BatchSize = 8 }).ScoreAsync(mixed, context, keepEmbeddings: false, CancellationToken.None);
        Assert.Equal(1, asked);
        Assert.Equal(eager.Scored.Select(s => (s.Id, s.Score.Sisom, s.Score.Knn)).Order(), both.Scored.Select(s => (s.Id, s.Score.Sisom, s.Score.Knn)).Order());
    }

    /// <summary>
    /// SISOM.md §5: a pool item that is also a labeled reference item (same id) is scored with itself left out of T, on the
    /// image path and the re-scoring path alike: never its own nearest reference, never d_in = 0, and its row says so.
    /// </summary>
    [Fact]
    public async Task Pool_items_that_are_reference_items_are_scored_without_themselves()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 80);
        int[] labeled = Enumerable.Range(0, 80).Where(i => data.Labels[i] < 6).Take(40).ToArray();
        FeatureMatrix referenceFeatures = await EmbedAsync(data, labeled);
        int[] labels = labeled.Select(i => (int)data.Labels[i]).ToArray();
        var head = LogisticRegressionFitter.Fit(referenceFeatures, labels, 6).Head;
        string[] ids = labeled.Select(i => $"item-{i:D3}").ToArray();
        var context = new LoadedContext(Guid.NewGuid(), ScoringContext.Build(head, referenceFeatures, labels, new ScoringContextOptions { KnnK = 5 }), ids);

        // The pool: the labeled items themselves plus unlabeled ones, all under their pool ids.
        int[] pool = Enumerable.Range(0, 60).ToArray();
        var items = pool.Select(i => new PoolItem { Id = $"item-{i:D3}", Bytes = data.EncodePng(i) }).ToList();
        ShardScores fromImages = await new ShardScorer(_extractor, new PipelineOptions { BatchSize = 16 }).ScoreAsync(items, context, keepEmbeddings: true, CancellationToken.None);
        var embeddingItems = fromImages.Scored.Select(s => new PoolItem { Id = s.Id, Embedding = s.Embedding }).ToList();
        ShardScores fromEmbeddings = await new ShardScorer(null).ScoreAsync(embeddingItems, context, keepEmbeddings: false, CancellationToken.None);

        var members = new HashSet<string>(ids, StringComparer.Ordinal);
        foreach (ShardScores scores in new[] { fromImages, fromEmbeddings })
        {
            Assert.Equal(pool.Length, scores.Scored.Count);
            Assert.Equal(members.Count, scores.Scored.Count(s => s.Score.IsReference));
            foreach (ScoredItem s in scores.Scored)
            {
                Assert.Equal(members.Contains(s.Id), s.Score.IsReference);
                Assert.NotEqual(s.Id, s.NearestReference);
                Assert.True(s.Score.DIn > 0, $"{s.Id}: d_in {s.Score.DIn}");
                Assert.True(s.Score.Knn > 0, $"{s.Id}: knn {s.Score.Knn}");
            }
        }

        Assert.Equal(fromImages.Scored.Select(s => s.Score.Knn), fromEmbeddings.Scored.Select(s => s.Score.Knn));

        // The same items under ids that are not in T do find themselves: the identity, not the distance, made the difference.
        var strangers = fromImages.Scored.Where(s => members.Contains(s.Id)).Select(s => new PoolItem { Id = "copy-of-" + s.Id, Embedding = s.Embedding }).ToList();
        ShardScores copies = await new ShardScorer(null).ScoreAsync(strangers, context, keepEmbeddings: false, CancellationToken.None);
        Assert.All(copies.Scored, s => Assert.False(s.Score.IsReference));
        Assert.Contains(copies.Scored, s => s.NearestReference == s.Id["copy-of-".Length..] && s.Score.DIn < 1e-3);
    }

    /// <summary>
    /// The reference phase once (ARCHITECTURE.md §3 step 0): a pool item that is a labeled reference item was embedded by the
    /// reference phase, and its features travel with the context, so the worker scores it from them without decoding or
    /// embedding it again. Here the members' bytes are not even an image: they are scored all the same, from the stored h.
    /// </summary>
    [Fact]
    public async Task Reference_items_are_scored_from_the_features_the_context_carries_not_embedded_again()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 80);
        int[] labeled = Enumerable.Range(0, 80).Where(i => data.Labels[i] < 6).Take(40).ToArray();
        FeatureMatrix referenceFeatures = await EmbedAsync(data, labeled);
        int[] labels = labeled.Select(i => (int)data.Labels[i]).ToArray();
        var head = LogisticRegressionFitter.Fit(referenceFeatures, labels, 6).Head;
        string[] ids = labeled.Select(i => $"item-{i:D3}").ToArray();
        var context = new LoadedContext(Guid.NewGuid(), ScoringContext.Build(head, referenceFeatures, labels, new ScoringContextOptions { KnnK = 5 }), ids);

        byte[] notAnImage = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
        var items = ids.Select(id => new PoolItem { Id = id, Bytes = notAnImage }).ToList();
        items.Add(new PoolItem { Id = "stranger", Bytes = notAnImage });
        ShardScores scores = await new ShardScorer(_extractor, new PipelineOptions { BatchSize = 16 }).ScoreAsync(items, context, keepEmbeddings: true, CancellationToken.None);

        Assert.Equal(["stranger"], scores.Failed.Select(f => f.Id));
        Assert.Equal(ids, scores.Scored.Select(s => s.Id));
        SisomScoreBatch direct = new SisomScorer(context.Scoring).Score(referenceFeatures, context.MemberIndices(ids));
        Assert.Equal(direct.Sisom, scores.Scored.Select(s => s.Score.Sisom));
        Assert.Equal(direct.Knn, scores.Scored.Select(s => s.Score.Knn));
        Assert.All(scores.Scored, s => Assert.True(s.Score.IsReference));
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(referenceFeatures.Row(i).ToArray(), scores.Scored[i].Embedding);
        }
    }

    private async Task<FeatureMatrix> EmbedAsync(FashionMnist data, int[] indices)
    {
        var features = new List<float>();
        await new EmbeddingPipeline(_extractor).RunAsync(
            indices.Select(i => new SourceImage(i.ToString(System.Globalization.CultureInfo.InvariantCulture), data.EncodePng(i))),
            (b, _) =>
            {
                features.AddRange(b.Features.AsSpan(0, b.Count * b.FeatureDimension).ToArray());
                return ValueTask.CompletedTask;
            });
        return new FeatureMatrix([.. features], indices.Length, 512);
    }
}
