using SisomCluster.Core.Heads;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Inference.Tests.Extraction;

[Collection(FashionMnistFixture.Name)]
public sealed class FashionMnistFeatureTests(FashionMnistEmbeddings embeddings, ITestOutputHelper output)
{
    [Fact]
    public void Head_fitted_on_2000_training_images_reaches_80_percent_held_out_accuracy()
    {
        FittedHead fitted = LogisticRegressionFitter.Fit(embeddings.Train, embeddings.TrainLabels, 10);
        double heldOut = HeadEvaluation.Accuracy(fitted.Head, embeddings.Test, embeddings.TestLabels);
        output.WriteLine($"train accuracy {fitted.TrainingAccuracy:P1}, held-out {heldOut:P1} on {embeddings.TestLabels.Length} test images; {fitted.Iterations} L-BFGS iterations");
        output.WriteLine($"pipeline: {embeddings.TrainStatistics.ItemsPerSecond:F1} images/s over {embeddings.TrainStatistics.Items} images");
        Assert.True(fitted.Converged || fitted.Iterations > 0);
        Assert.True(heldOut >= 0.80, $"held-out accuracy {heldOut:P1} < 80 %");
    }

    [Fact]
    public void Fashion_mnist_features_agree_across_batch_sizes_1_8_and_32()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 32);
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu });
        var source = Enumerable.Range(0, data.Count).Select(i => new SourceImage($"i{i}", data.EncodePng(i))).ToArray();
        float[] Run(int batchSize)
        {
            var features = new List<float>();
            new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = batchSize })
                .RunAsync(source, (b, _) =>
                {
                    features.AddRange(b.Features.AsSpan(0, b.Count * b.FeatureDimension).ToArray());
                    return ValueTask.CompletedTask;
                })
                .GetAwaiter().GetResult();
            return [.. features];
        }

        float[] reference = Run(32);
        Assert.Equal(32 * 512, reference.Length);
        for (int row = 0; row < 32; row++)
        {
            Assert.Equal(embeddings.Train.Row(row).ToArray(), reference.AsSpan(row * 512, 512).ToArray(), new Tolerance(1e-4f));
        }

        foreach (int batch in new[] { 1, 8 })
        {
            Assert.Equal(reference, Run(batch), new Tolerance(1e-4f));
        }
    }

    private sealed class Tolerance(float relative) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= relative * Math.Max(1, Math.Abs(y));

        public int GetHashCode(float obj) => 0;
    }
}
