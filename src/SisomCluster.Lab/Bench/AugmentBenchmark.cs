using System.Diagnostics;
using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Heads;
using SisomCluster.Inference.Models;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// `sisom bench augment`: inference time per image of a classifier and of its augmented model (the same forward
/// pass plus the appended backward pass and states), at one batch size, on CPU, rounds interleaved so drift of
/// the shared machine hits both alike. A backbone gets a head fitted on the benchmark images' own labels first.
/// </summary>
public static class AugmentBenchmark
{
    public static AugmentBenchmarkResult Run(ModelPackage model, IReadOnlyList<LayerChoice> layers, int batchSize, int images, int rounds, int threads, string workDirectory, Action<string>? progress = null)
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: images);
        var options = new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = threads };
        float[] inputs = Decode(model, data);
        ModelPackage classifier = model;
        if (model.Manifest.Outputs.Logits is null)
        {
            progress?.Invoke("fitting a head on the benchmark images' labels");
            using var backbone = new FeatureExtractor(model, options);
            var features = new float[images * backbone.FeatureDimension];
            Run(backbone, inputs, images, batchSize, features);
            int[] labels = data.Labels.Select(l => (int)l).ToArray();
            var head = LogisticRegressionFitter.Fit(new FeatureMatrix(features, images, backbone.FeatureDimension), labels, FashionMnist.ClassNames.Count).Head;
            classifier = OnnxHeadExport.Export(model, head, Path.Combine(workDirectory, "with-head.onnx"));
        }

        progress?.Invoke("augmenting");
        ModelPackage augmented = ModelAugmentation.Augment(classifier, layers, Path.Combine(workDirectory, "augmented.onnx"));
        using var plain = new FeatureExtractor(classifier, options);
        using var full = new FeatureExtractor(augmented, options);
        var plainFeatures = new float[batchSize * plain.FeatureDimension];
        var fullFeatures = new float[batchSize * full.FeatureDimension];

        // Warm-up: the first runs allocate arenas and pick kernels.
        Run(plain, inputs, Math.Min(images, batchSize), batchSize, plainFeatures);
        Run(full, inputs, Math.Min(images, batchSize), batchSize, fullFeatures);
        double plainSeconds = 0;
        double fullSeconds = 0;
        for (int round = 0; round < rounds; round++)
        {
            progress?.Invoke($"round {round + 1}/{rounds}");
            plainSeconds += Run(plain, inputs, images, batchSize, plainFeatures);
            fullSeconds += Run(full, inputs, images, batchSize, fullFeatures);
        }

        double perImage = 1000.0 / (images * (double)rounds);
        return new AugmentBenchmarkResult(batchSize, images, rounds, layers.Select(l => l.Tensor).ToArray(), plainSeconds * perImage, fullSeconds * perImage);
    }

    /// <summary>Runs every image in batches; returns the seconds spent in inference (features into a reused buffer, logits and states discarded).</summary>
    private static double Run(FeatureExtractor extractor, float[] inputs, int images, int batchSize, float[] features)
    {
        var logits = new float[batchSize * (extractor.ClassCount ?? 0)];
        Memory<float>[] states = extractor.LayerStateLengths.Select(l => (Memory<float>)new float[batchSize * l]).ToArray();
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < images; start += batchSize)
        {
            int count = Math.Min(batchSize, images - start);
            if (extractor.ClassCount is null)
            {
                extractor.Run(inputs.AsMemory(start * extractor.InputLength), count, features);
            }
            else
            {
                extractor.Run(inputs.AsMemory(start * extractor.InputLength), count, features, logits, states);
            }
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static float[] Decode(ModelPackage model, FashionMnist data)
    {
        var decoder = new ImageDecoder(model.Normalization);
        int length = model.Manifest.Input.Channels * model.Manifest.Input.Height * model.Manifest.Input.Width;
        var inputs = new float[data.Count * length];
        Parallel.For(0, data.Count, i =>
        {
            DecodeResult result = decoder.Decode(data.EncodePng(i), inputs.AsSpan(i * length, length));
            if (!result.Success)
            {
                throw new InvalidOperationException($"benchmark image {i}: {result.FailureCode}");
            }
        });
        return inputs;
    }
}
