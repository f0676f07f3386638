using SisomCluster.Core.States;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Heads;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Tests.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Heads;

public sealed class OnnxHeadExportTests
{
    [Fact]
    public void Appended_gemm_computes_the_head_and_is_found_again_as_the_final_layer()
    {
        var random = new Random(5);
        const int K = 4;
        var w = Enumerable.Range(0, K * 512).Select(_ => (random.NextDouble() - 0.5) * 0.1).ToArray();
        var b = Enumerable.Range(0, K).Select(_ => random.NextDouble()).ToArray();
        var head = new LinearHead(w, b, K, 512);
        string path = Path.Combine(Path.GetTempPath(), "sisom-head-" + Guid.NewGuid().ToString("N"), "with-head.onnx");
        try
        {
            ModelPackage exported = OnnxHeadExport.Export(DefaultModel.Package, head, path);
            Assert.Equal(K, exported.Manifest.ClassCount);
            Assert.Equal(OnnxHeadExport.LogitsOutput, exported.Manifest.Outputs.Logits);

            using var extractor = new FeatureExtractor(exported, new ExtractorOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
            var inputs = new float[2 * extractor.InputLength];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = (float)((random.NextDouble() * 255) - 115);
            }

            var features = new float[2 * 512];
            var logits = new float[2 * K];
            extractor.Run(inputs, 2, features, logits);
            for (int item = 0; item < 2; item++)
            {
                for (int k = 0; k < K; k++)
                {
                    double expected = b[k];
                    for (int d = 0; d < 512; d++)
                    {
                        expected += w[(k * 512) + d] * features[(item * 512) + d];
                    }

                    Assert.True(Math.Abs(logits[(item * K) + k] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"item {item} class {k}");
                }
            }

            var found = OnnxGraph.FindFinalLinearLayer(OnnxGraph.Parse(exported.ModelBytes, path));
            Assert.NotNull(found);
            Assert.Equal(K, found.Value.ClassCount);
            Assert.Equal(512, found.Value.FeatureDimension);
            Assert.Equal(w.Select(v => (float)v), found.Value.Weights);
            Assert.Equal(b.Select(v => (float)v), found.Value.Bias);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void A_backbone_without_a_classifier_has_no_final_linear_layer()
    {
        Assert.Null(OnnxGraph.FindFinalLinearLayer(OnnxGraph.Parse(DefaultModel.Package.ModelBytes, "resnet18")));
    }

    [Fact]
    public void Head_file_round_trips_and_rejects_bad_shapes()
    {
        var head = new LinearHead([1, 2, 3, 4, 5, 6], [0.5, -0.5], 2, 3);
        string path = Path.GetTempFileName();
        try
        {
            using (FileStream stream = File.Create(path))
            {
                (HeadFile.FromLinearHead(head) with { TrainingAccuracy = 0.9 }).Write(stream);
            }

            HeadFile read = HeadFile.Read(path);
            Assert.Equal(head.Weights, read.ToLinearHead().Weights);
            Assert.Equal(head.Bias, read.ToLinearHead().Bias);
            Assert.Equal(0.9, read.TrainingAccuracy);

            File.WriteAllText(path, "{\"format\":\"sisom-head/1\",\"class_count\":2,\"feature_dimension\":3,\"weights\":[[1,2,3]],\"bias\":[0,0]}");
            Assert.Contains("2 rows of 3 values", Assert.Throws<InvalidDataException>(() => HeadFile.Read(path)).Message, StringComparison.Ordinal);
            File.WriteAllText(path, "not json");
            Assert.Contains("not a head file", Assert.Throws<InvalidDataException>(() => HeadFile.Read(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
