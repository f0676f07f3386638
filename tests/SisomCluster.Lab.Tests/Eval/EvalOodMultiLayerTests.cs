using System.Text.Json;
using SisomCluster.Cli.Tests;
using Xunit;

namespace SisomCluster.Lab.Tests.Eval;

/// <summary>
/// <c>eval ood --layers</c> on the small trained CNN (its own head, four ReLU layers augmented): the multi-layer
/// rows are reported next to the penultimate ones, from the same features, and their scores differ.
/// </summary>
public sealed class EvalOodMultiLayerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Layers_add_multi_layer_rows_that_differ_from_the_penultimate_ones()
    {
        string model = _directory.File("small_cnn.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx"), model);
        LabResult inspect = LabResult.RunCli("model", "inspect", model, "--write");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        string results = _directory.File("results");
        string[] args =
        [
            "eval", "ood", "--model", model, "--layers", "/n/Relu_2_output_0:10,/n/Relu_3_output_0:100",
            "--out", results, "--cache", _directory.File("cache"), "--provider", "cpu", "--seeds", "2",
            "--train-per-class", "20", "--test-per-class", "10", "--labeled-per-class", "10", "--far-count", "8", "--knn-k", "5",
        ];

        LabResult ood = LabResult.Run(args);
        Assert.True(ood.ExitCode == 0, ood.ToString());
        Assert.Contains("augmented small_cnn", ood.Stderr, StringComparison.Ordinal);
        string table = File.ReadAllText(Path.Combine(results, "ood-small_cnn-multilayer.md"));
        Assert.Contains("| SISOM (multi-layer) |", table, StringComparison.Ordinal);
        Assert.Contains("| SISOMe (multi-layer) |", table, StringComparison.Ordinal);
        Assert.Contains("the model's own final layer (10 classes, not refitted)", table, StringComparison.Ordinal);
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "ood-small_cnn-multilayer.json"))))
        {
            JsonElement near = json.RootElement.GetProperty("metrics").GetProperty("near");
            double[] penultimate = Values(near, "SISOM");
            double[] multi = Values(near, "SISOM (multi-layer)");
            Assert.Equal(2, multi.Length);
            Assert.All(multi, v => Assert.InRange(v, 0, 1));
            Assert.NotEqual(penultimate, multi);
        }

        // The second run reads the augmented model and every embedding (features and states) from the cache.
        LabResult again = LabResult.Run(args);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("embedded", again.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("augmented small_cnn", again.Stderr, StringComparison.Ordinal);

        LabResult backbone = LabResult.Run("eval", "ood", "--model", model, "--layers", "nonsense", "--out", results);
        Assert.Equal(2, backbone.ExitCode);
        Assert.Contains("--layers", backbone.Stderr, StringComparison.Ordinal);
    }

    private static double[] Values(JsonElement set, string method) =>
        set.GetProperty(method).GetProperty("auroc").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
}
