using System.Globalization;
using System.Text.Json;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Npy;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>model augment → offline embed --states-out → offline score with layer states, on the small trained CNN.</summary>
public sealed class ModelAugmentTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Augmented_model_feeds_multi_layer_scoring_end_to_end()
    {
        string model = CopySmallCnn();
        CliResult augment = CliResult.Run("model", "augment", model, "--layer", "/n/Relu_1_output_0:0.1", "--layer", "/n/Relu_2_output_0:10", "--out", _directory.File("ml/small_ml.onnx"));
        Assert.True(augment.ExitCode == 0, augment.ToString());
        Assert.Contains("sisom_state_1: layer /n/Relu_2_output_0, alpha 10", augment.Stdout, StringComparison.Ordinal);

        FashionMnist data = FashionMnist.Load(train: true, limit: 40);
        string pool = Directory.CreateDirectory(_directory.File("pool")).FullName;
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(pool, $"img-{i:D3}.png"), data.EncodePng(i));
        }

        CliResult embed = CliResult.Run("offline", "embed", "--model", _directory.File("ml/small_ml.onnx"), "--images", pool, "--out", _directory.File("emb.npy"), "--ids", _directory.File("ids.txt"), "--states-out", _directory.File("states.npy"), "--provider", "cpu", "--batch-size", "16");
        Assert.True(embed.ExitCode == 0, embed.ToString());
        NpyArray states = NpyFile.Read(_directory.File("states.npy"));
        Assert.Equal([40, 16 + 32], states.Shape);
        float[] values = states.ToSingle();
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        Assert.True(values.Distinct().Count() > 100, "states vary across items and neurons");

        string[] ids = File.ReadAllLines(_directory.File("ids.txt"));
        File.WriteAllLines(_directory.File("labels.txt"), ids.Select(id => data.Labels[int.Parse(id[4..7], CultureInfo.InvariantCulture)].ToString(CultureInfo.InvariantCulture)));
        CliResult score = CliResult.Run("offline", "score", "--reference", _directory.File("emb.npy"), "--reference-labels", _directory.File("labels.txt"), "--head", model, "--queries", _directory.File("emb.npy"), "--reference-states", _directory.File("states.npy"), "--query-states", _directory.File("states.npy"), "--alpha", "100", "--out", _directory.File("scores.csv"), "--stats-out", _directory.File("stats.json"));
        Assert.True(score.ExitCode == 0, score.ToString());

        // Scored 7 rows at a time, each batch with its own rows of the query states: the same CSV.
        CliResult batched = CliResult.Run("offline", "score", "--reference", _directory.File("emb.npy"), "--reference-labels", _directory.File("labels.txt"), "--head", model, "--queries", _directory.File("emb.npy"), "--reference-states", _directory.File("states.npy"), "--query-states", _directory.File("states.npy"), "--alpha", "100", "--batch-rows", "7", "--out", _directory.File("batched.csv"));
        Assert.True(batched.ExitCode == 0, batched.ToString());
        Assert.Equal(File.ReadAllBytes(_directory.File("scores.csv")), File.ReadAllBytes(_directory.File("batched.csv")));
        using JsonDocument stats = JsonDocument.Parse(File.ReadAllText(_directory.File("stats.json")));
        JsonElement[] layers = stats.RootElement.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(["/n/Relu_1_output_0", "/n/Relu_2_output_0"], layers.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal([0.1, 10.0], layers.Select(l => l.GetProperty("alpha").GetDouble()));
        Assert.Equal([16, 32], layers.Select(l => l.GetProperty("width").GetInt32()));

        // The same run without the layer states is a different latent space: the ratios differ.
        CliResult plain = CliResult.Run("offline", "score", "--reference", _directory.File("emb.npy"), "--reference-labels", _directory.File("labels.txt"), "--head", model, "--queries", _directory.File("emb.npy"), "--alpha", "100", "--out", _directory.File("plain.csv"));
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.NotEqual(File.ReadAllLines(_directory.File("plain.csv")), File.ReadAllLines(_directory.File("scores.csv")));
    }

    [Fact]
    public void Augment_reports_bad_layers_and_models_without_logits_as_usage_errors()
    {
        string model = CopySmallCnn();
        CliResult missing = CliResult.Run("model", "augment", model, "--layer", "/n/nope:1", "--out", _directory.File("x.onnx"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("'/n/nope' is not in the graph", missing.Stderr, StringComparison.Ordinal);

        CliResult noAlpha = CliResult.Run("model", "augment", model, "--layer", "/n/Relu_output_0", "--out", _directory.File("x.onnx"));
        Assert.Equal(2, noAlpha.ExitCode);
        Assert.Contains("TENSOR:ALPHA", noAlpha.Stderr, StringComparison.Ordinal);

        CliResult plainStates = CliResult.Run("offline", "embed", "--model", model, "--images", _directory.Path, "--out", _directory.File("e.npy"), "--ids", _directory.File("i.txt"), "--states-out", _directory.File("s.npy"));
        Assert.Equal(2, plainStates.ExitCode);
        Assert.Contains("outputs no layer states", plainStates.Stderr, StringComparison.Ordinal);

        CliResult half = CliResult.Run("offline", "score", "--reference", "r.npy", "--reference-labels", "l.txt", "--head", model, "--queries", "q.npy", "--reference-states", "s.npy", "--out", _directory.File("s.csv"));
        Assert.Equal(2, half.ExitCode);
        Assert.Contains("go together", half.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The test model with the manifest `model inspect --write` proposes (grey 28×28, logits and features).</summary>
    private string CopySmallCnn()
    {
        string model = _directory.File("small_cnn.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx"), model);
        CliResult inspect = CliResult.Run("model", "inspect", model, "--write");
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        return model;
    }
}
