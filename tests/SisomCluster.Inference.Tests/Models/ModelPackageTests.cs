using Onnx;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Models;

public sealed class ModelPackageTests
{
    [Fact]
    public void Default_model_has_a_dynamic_batch_and_a_stable_version()
    {
        ModelPackage package = DefaultModel.Package;
        ModelProto model = OnnxGraph.Parse(package.ModelBytes, "resnet18");
        ValueInfoProto input = OnnxGraph.RealInputs(model).Single();
        Assert.Equal("Input247", input.Name);
        Assert.Equal([null, 3, 224, 224], OnnxGraph.Shape(input));
        Assert.Equal([null, 512, 1, 1], OnnxGraph.Shape(model.Graph.Output.Single()));
        Assert.Equal(64, package.Version.Length);
        Assert.Equal(3 * 224 * 224, package.MeanImage!.Length);

        // Preparing again writes the same bytes: the version does not drift between machines or runs.
        string again = DefaultModels.PrepareResNet18(DefaultModel.Directory);
        Assert.Equal(package.Version, ModelPackage.Load(again).Version);
    }

    [Fact]
    public void Features_agree_across_batch_sizes()
    {
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cpu });
        Assert.Equal("cpu", extractor.Provider);
        const int Items = 32;
        var random = new Random(17);
        var inputs = new float[Items * extractor.InputLength];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)((random.NextDouble() * 255) - 115);
        }

        float[] reference = Extract(extractor, inputs, Items, batch: 32);
        foreach (int batch in new[] { 1, 8 })
        {
            float[] features = Extract(extractor, inputs, Items, batch);
            for (int i = 0; i < features.Length; i++)
            {
                Assert.True(Math.Abs(features[i] - reference[i]) <= 1e-4 * Math.Max(1, Math.Abs(reference[i])), $"batch {batch}, value {i}: {features[i]} vs {reference[i]}");
            }
        }

        Assert.Contains(reference, v => v > 0);
    }

    [Fact]
    public void Auto_provider_falls_back_to_cpu_with_a_reason_on_the_cpu_build()
    {
        using var extractor = new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Auto });
        Assert.Equal("cpu", extractor.Provider);
        Assert.False(string.IsNullOrWhiteSpace(extractor.FallbackReason));
        Assert.Throws<InvalidOperationException>(() => new FeatureExtractor(DefaultModel.Package, new ExtractorOptions { Provider = ExecutionProvider.Cuda }));
    }

    [Theory]
    [InlineData("\"name\": \"Input247\"", "\"name\": \"input\"", "input 'input' is not in the model")]
    [InlineData("\"width\": 224", "\"width\": 299", "the manifest says NCHW [N, 3, 224, 299]")]
    [InlineData("\"feature_dimension\": 512", "\"feature_dimension\": 2048", "the manifest says 2048")]
    [InlineData("\"features\": \"Pooling395_Output_0\"", "\"features\": \"fc7\"", "outputs.features 'fc7' is not a model output")]
    [InlineData("\"colour\": \"bgr\"", "\"colour\": \"cmyk\"", "input.colour must be rgb, bgr or grey")]
    [InlineData("\"format\": \"sisom-model/1\"", "\"format\": \"other/2\"", "format is 'other/2'")]
    public void Manifest_mismatch_fails_with_a_clear_message(string find, string replace, string message)
    {
        string directory = Path.Combine(Path.GetTempPath(), "sisom-manifest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string model = Path.Combine(directory, "m.onnx");
            File.Copy(DefaultModel.Package.ModelPath, model);
            File.Copy(Path.Combine(DefaultModel.Directory, "resnet18.mean.npy"), Path.Combine(directory, "resnet18.mean.npy"));
            string manifest = File.ReadAllText(ModelPackage.ManifestPathFor(DefaultModel.Package.ModelPath));
            Assert.Contains(find, manifest, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(directory, "m.manifest.json"), manifest.Replace(find, replace, StringComparison.Ordinal));
            var e = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(model));
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
            Assert.Contains("m.manifest.json", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Missing_manifest_names_the_command_that_writes_one()
    {
        string directory = Path.Combine(Path.GetTempPath(), "sisom-nomanifest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string model = Path.Combine(directory, "m.onnx");
            File.Copy(DefaultModel.Package.ModelPath, model);
            var e = Assert.Throws<FileNotFoundException>(() => ModelPackage.Load(model));
            Assert.Contains("sisom model inspect", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static float[] Extract(FeatureExtractor extractor, float[] inputs, int items, int batch)
    {
        var features = new float[items * extractor.FeatureDimension];
        for (int start = 0; start < items; start += batch)
        {
            int count = Math.Min(batch, items - start);
            extractor.Run(inputs.AsMemory(start * extractor.InputLength), count, features.AsMemory(start * extractor.FeatureDimension));
        }

        return features;
    }
}
