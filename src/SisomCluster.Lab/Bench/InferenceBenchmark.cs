using System.Diagnostics;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Sources;
using SkiaSharp;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// `sisom bench inference`: images/s for decode alone, inference alone and decode → inference pipelined,
/// per batch size, on 224×224 JPEGs (Fashion-MNIST images upscaled and tinted, so they are real photos'
/// size and entropy class, not solid colours).
/// </summary>
public static class InferenceBenchmark
{
    public static IReadOnlyList<InferenceBenchmarkResult> Run(ModelPackage model, IReadOnlyList<int> batchSizes, int images, int threads, Action<string>? progress = null)
    {
        byte[][] jpegs = MakeJpegs(images);
        using var extractor = new FeatureExtractor(model, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = threads });
        var decoder = new ImageDecoder(model.Normalization);
        var inputs = new float[images * extractor.InputLength];

        // Decode alone: every core, as the pipeline's decode stage does.
        progress?.Invoke("decode");
        _ = DecodeAll(decoder, jpegs, inputs, extractor.InputLength);
        double decodeRate = images / DecodeAll(decoder, jpegs, inputs, extractor.InputLength);

        var results = new List<InferenceBenchmarkResult>();
        foreach (int batch in batchSizes)
        {
            progress?.Invoke($"batch {batch}");
            var features = new float[batch * extractor.FeatureDimension];
            extractor.Run(inputs, Math.Min(batch, images), features);
            var clock = Stopwatch.StartNew();
            for (int start = 0; start < images; start += batch)
            {
                int count = Math.Min(batch, images - start);
                extractor.Run(inputs.AsMemory(start * extractor.InputLength), count, features);
            }

            double inferenceRate = images / clock.Elapsed.TotalSeconds;
            var pipeline = new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = batch });
            PipelineStatistics stats = pipeline.RunAsync(
                jpegs.Select((bytes, i) => new SourceImage($"img-{i}", bytes)),
                (_, _) => ValueTask.CompletedTask).GetAwaiter().GetResult();
            if (stats.Failed > 0)
            {
                throw new InvalidOperationException($"{stats.Failed} benchmark images failed to decode.");
            }

            results.Add(new InferenceBenchmarkResult(batch, images, decodeRate, inferenceRate, stats.ItemsPerSecond, Process.GetCurrentProcess().PeakWorkingSet64));
        }

        return results;
    }

    private static double DecodeAll(ImageDecoder decoder, byte[][] jpegs, float[] inputs, int length)
    {
        var clock = Stopwatch.StartNew();
        Parallel.For(0, jpegs.Length, i =>
        {
            DecodeResult r = decoder.Decode(jpegs[i], inputs.AsSpan(i * length, length));
            if (!r.Success)
            {
                throw new InvalidOperationException($"benchmark image {i}: {r.FailureCode}");
            }
        });
        return clock.Elapsed.TotalSeconds;
    }

    private static byte[][] MakeJpegs(int count)
    {
        FashionMnist data = FashionMnist.Load(train: false, limit: count);
        var jpegs = new byte[count][];
        var small = new SKImageInfo(FashionMnist.Side, FashionMnist.Side, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(small);
            ReadOnlySpan<byte> grey = data.Image(i);
            Span<byte> rgba = bitmap.GetPixelSpan();
            for (int p = 0; p < grey.Length; p++)
            {
                rgba[(4 * p) + 0] = grey[p];
                rgba[(4 * p) + 1] = (byte)(grey[p] * 0.8);
                rgba[(4 * p) + 2] = (byte)(255 - grey[p]);
                rgba[(4 * p) + 3] = 255;
            }

            using var large = new SKBitmap(new SKImageInfo(224, 224, SKColorType.Rgba8888, SKAlphaType.Opaque));
            bitmap.ScalePixels(large, new SKSamplingOptions(SKCubicResampler.Mitchell));
            using SKData encoded = large.Encode(SKEncodedImageFormat.Jpeg, 90);
            jpegs[i] = encoded.ToArray();
        }

        return jpegs;
    }
}
