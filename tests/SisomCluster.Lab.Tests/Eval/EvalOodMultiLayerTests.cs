using System.Text.Json;
using SisomCluster.Cli.Tests;
using SisomCluster.Core;
using SisomCluster.Core.States;
using SisomCluster.Lab.Eval;
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

    [Fact]
    public void An_auto_layer_gets_the_alpha_of_minimal_r_avg_per_seed()
    {
        string model = _directory.File("small_cnn.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx"), model);
        LabResult inspect = LabResult.RunCli("model", "inspect", model, "--write");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        string results = _directory.File("results");
        LabResult ood = LabResult.Run(
            "eval", "ood", "--model", model, "--layers", "/n/Relu_2_output_0:auto,/n/Relu_3_output_0:100", "--layer-alpha-grid", "100,0.01",
            "--out", results, "--cache", _directory.File("cache"), "--provider", "cpu", "--seeds", "2",
            "--train-per-class", "20", "--test-per-class", "10", "--labeled-per-class", "10", "--far-count", "8", "--knn-k", "5");
        Assert.True(ood.ExitCode == 0, ood.ToString());

        // One augmented model per α of the grid.
        Assert.Equal(2, ood.Stderr.Split("augmented small_cnn").Length - 1);
        string table = File.ReadAllText(Path.Combine(results, "ood-small_cnn-multilayer.md"));
        Assert.Contains("`/n/Relu_2_output_0` (α auto over {0.01, 100}, per seed: ", table, StringComparison.Ordinal);
        Assert.Contains("`/n/Relu_3_output_0` (α 100)", table, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "ood-small_cnn-multilayer.json")));
        JsonElement layerAlpha = json.RootElement.GetProperty("layer_alpha");
        Assert.False(layerAlpha.TryGetProperty("/n/Relu_3_output_0", out _));
        JsonElement[] seeds = layerAlpha.GetProperty("/n/Relu_2_output_0").EnumerateArray().ToArray();
        Assert.Equal(2, seeds.Length);
        foreach (JsonElement seed in seeds)
        {
            JsonElement[] grid = seed.GetProperty("grid").EnumerateArray().ToArray();
            Assert.Equal([0.01, 100], grid.Select(g => g.GetProperty("alpha").GetDouble()));
            JsonElement best = grid.Where(g => g.GetProperty("eligible").GetBoolean()).MinBy(g => g.GetProperty("r_avg").GetDouble());
            Assert.Equal(best.GetProperty("alpha").GetDouble(), seed.GetProperty("alpha").GetDouble());
        }

        LabResult badGrid = LabResult.Run("eval", "ood", "--model", model, "--layers", "/n/Relu_2_output_0:auto", "--layer-alpha-grid", "1,-2", "--out", results);
        Assert.Equal(2, badGrid.ExitCode);
        Assert.Contains("--layer-alpha-grid", badGrid.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Composed_layer_states_take_each_layer_from_the_model_of_its_alpha()
    {
        StateLayer[] at1 = [new("a", 1, 2), new("b", 1, 1)];
        StateLayer[] at9 = [new("a", 9, 2), new("b", 9, 1)];
        var one = new LayerStates(at1, new FeatureMatrix([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f], 2, 3));
        var nine = new LayerStates(at9, new FeatureMatrix([0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f], 2, 3));

        LayerStates composed = EvalOodCommand.ComposeLayers([one, nine], [1, 0]);
        Assert.Equal([new StateLayer("a", 9, 2), new StateLayer("b", 1, 1)], composed.Layers);
        Assert.Equal([0.9f, 0.8f, 0.3f, 0.6f, 0.5f, 0.6f], composed.Values.Data);
        Assert.Equal([0.7f, 0.4f], EvalOodCommand.Columns(nine, 1).Data);
    }

    private static double[] Values(JsonElement set, string method) =>
        set.GetProperty(method).GetProperty("auroc").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
}
