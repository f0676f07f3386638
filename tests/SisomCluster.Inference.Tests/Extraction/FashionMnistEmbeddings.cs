using SisomCluster.Core;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Extraction;

/// <summary>
/// ResNet-18 features of real Fashion-MNIST images (PNG-encoded, decoded 28 → 224, grey → BGR), computed once
/// for the test collection: 2 000 training images and 500 test images.
/// </summary>
public sealed class FashionMnistEmbeddings
{
    public const int TrainCount = 2000;
    public const int TestCount = 500;

    public FashionMnistEmbeddings()
    {
        FashionMnist train = FashionMnist.Load(train: true, limit: TrainCount);
        FashionMnist test = FashionMnist.Load(train: false, limit: TestCount);
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu });
        (Train, TrainStatistics) = Embed(extractor, train, "train");
        (Test, _) = Embed(extractor, test, "test");
        TrainLabels = train.Labels.Select(l => (int)l).ToArray();
        TestLabels = test.Labels.Select(l => (int)l).ToArray();
    }

    public FeatureMatrix Train { get; }

    public FeatureMatrix Test { get; }

    public int[] TrainLabels { get; }

    public int[] TestLabels { get; }

    public PipelineStatistics TrainStatistics { get; }

    private static (FeatureMatrix, PipelineStatistics) Embed(FeatureExtractor extractor, FashionMnist data, string prefix)
    {
        var features = new float[data.Count * extractor.FeatureDimension];
        int row = 0;
        var pipeline = new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = 32 });
        PipelineStatistics stats = pipeline.RunAsync(
            Enumerable.Range(0, data.Count).Select(i => new SourceImage($"{prefix}-{i:D5}", data.EncodePng(i))),
            (batch, _) =>
            {
                Assert.Empty(batch.Failures);
                batch.Features.AsSpan(0, batch.Count * batch.FeatureDimension).CopyTo(features.AsSpan(row * extractor.FeatureDimension));
                row += batch.Count;
                return ValueTask.CompletedTask;
            }).GetAwaiter().GetResult();
        Assert.Equal(data.Count, row);
        return (new FeatureMatrix(features, data.Count, extractor.FeatureDimension), stats);
    }
}

[CollectionDefinition(Name)]
public sealed class FashionMnistFixture : ICollectionFixture<FashionMnistEmbeddings>
{
    public const string Name = "Fashion-MNIST ResNet-18 embeddings";
}
