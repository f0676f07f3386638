using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Npy;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>embed → fit-head → score on real Fashion-MNIST PNGs with the default ResNet-18, as a user chains them.</summary>
public sealed class OfflineEmbedFitScoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Embed_then_fit_head_then_score_chain_and_report_skipped_files()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 60);
        string pool = Directory.CreateDirectory(_directory.File("pool")).FullName;
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(pool, $"img-{i:D3}.png"), data.EncodePng(i));
        }

        File.WriteAllText(Path.Combine(pool, "broken.jpg"), "this is text, not a JPEG");
        File.WriteAllBytes(Path.Combine(pool, "empty.png"), []);
        string cache = _directory.File("models");

        CliResult embed = CliResult.Run("offline", "embed", "--images", pool, "--out", _directory.File("emb.npy"), "--ids", _directory.File("ids.txt"), "--model-cache", cache, "--batch-size", "16", "--provider", "cpu");
        Assert.True(embed.ExitCode == 0, embed.ToString());
        Assert.Contains("skipped broken.jpg: unsupported_format", embed.Stderr, StringComparison.Ordinal);
        Assert.Contains("skipped empty.png: empty", embed.Stderr, StringComparison.Ordinal);
        Assert.Contains("embedded 60 of 62 images (2 skipped)", embed.Stdout, StringComparison.Ordinal);
        string[] ids = File.ReadAllLines(_directory.File("ids.txt"));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"img-{i:D3}.png"), ids);
        NpyArray embeddings = NpyFile.Read(_directory.File("emb.npy"));
        Assert.Equal([60, 512], embeddings.Shape);
        Assert.Equal(-1, embeddings.IndexOfNonFinite());

        File.WriteAllLines(_directory.File("labels.txt"), ids.Select(id => data.Labels[int.Parse(id[4..7], System.Globalization.CultureInfo.InvariantCulture)].ToString(System.Globalization.CultureInfo.InvariantCulture)));
        CliResult fit = CliResult.Run("offline", "fit-head", "--embeddings", _directory.File("emb.npy"), "--labels", _directory.File("labels.txt"), "--out", _directory.File("head.json"), "--held-out", "0.25", "--classes", "10");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("held-out accuracy", fit.Stdout, StringComparison.Ordinal);

        CliResult score = CliResult.Run("offline", "score", "--reference", _directory.File("emb.npy"), "--reference-labels", _directory.File("labels.txt"), "--head", _directory.File("head.json"), "--queries", _directory.File("emb.npy"), "--out", _directory.File("scores.csv"));
        Assert.True(score.ExitCode == 0, score.ToString());
        Assert.Equal(61, File.ReadAllLines(_directory.File("scores.csv")).Length);
    }

    [Fact]
    public void Score_needs_exactly_one_form_of_head()
    {
        CliResult both = CliResult.Run("offline", "score", "--reference", "r.npy", "--reference-labels", "l.txt", "--head", "h.json", "--head-weights", "W.npy", "--head-bias", "b.npy", "--queries", "q.npy", "--out", _directory.File("s.csv"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("either as --head", both.Stderr, StringComparison.Ordinal);
        CliResult neither = CliResult.Run("offline", "score", "--reference", "r.npy", "--reference-labels", "l.txt", "--queries", "q.npy", "--out", _directory.File("s.csv"));
        Assert.Equal(2, neither.ExitCode);
    }

    [Fact]
    public void Embed_rejects_a_missing_image_folder_and_an_unknown_model()
    {
        CliResult missing = CliResult.Run("offline", "embed", "--images", _directory.File("nope"), "--out", _directory.File("e.npy"), "--ids", _directory.File("i.txt"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--images", missing.Stderr, StringComparison.Ordinal);
        Directory.CreateDirectory(_directory.File("empty-pool"));
        CliResult model = CliResult.Run("offline", "embed", "--model", _directory.File("no.onnx"), "--images", _directory.File("empty-pool"), "--out", _directory.File("e.npy"), "--ids", _directory.File("i.txt"));
        Assert.Equal(2, model.ExitCode);
        Assert.Contains("--model", model.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_of_a_folder_without_images_exits_2_and_writes_nothing()
    {
        string empty = Directory.CreateDirectory(_directory.File("no-images")).FullName;
        File.WriteAllText(Path.Combine(empty, "README.txt"), "not an image");
        string cache = Path.Combine(Path.GetTempPath(), "sisom-cli-tests-models");
        CliResult result = CliResult.Run("offline", "embed", "--images", empty, "--out", _directory.File("e.npy"), "--ids", _directory.File("i.txt"), "--model-cache", cache, "--provider", "cpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no images found", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_directory.File("e.npy")));
        Assert.False(File.Exists(_directory.File("i.txt")));
    }

    [Fact]
    public void Embed_with_provider_cuda_on_the_cpu_build_is_a_one_line_error()
    {
        string pool = Directory.CreateDirectory(_directory.File("one")).FullName;
        File.WriteAllBytes(Path.Combine(pool, "a.png"), FashionMnist.Load(train: true, limit: 1).EncodePng(0));
        CliResult result = CliResult.Run("offline", "embed", "--provider", "cuda", "--images", pool, "--out", _directory.File("e.npy"), "--ids", _directory.File("i.txt"), "--model-cache", _directory.File("models"));
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.StderrLines);
        Assert.StartsWith("error: --provider cuda:", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_directory.File("e.npy")));
    }

    [Fact]
    public void Score_takes_w_and_b_from_a_classifier_model_and_refuses_a_backbone()
    {
        // small_cnn.onnx: a trained Fashion-MNIST CNN whose final Gemm is K = 10 x D = 32.
        string cnn = Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx");
        var random = new Random(3);
        float[] Features(int rows) => Enumerable.Range(0, rows * 32).Select(_ => (float)random.NextDouble()).ToArray();
        NpyFile.Write(_directory.File("ref.npy"), new NpyArray(Features(40), 40, 32));
        NpyFile.Write(_directory.File("q.npy"), new NpyArray(Features(5), 5, 32));
        File.WriteAllLines(_directory.File("labels.txt"), Enumerable.Range(0, 40).Select(i => (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        CliResult result = CliResult.Run("offline", "score", "--reference", _directory.File("ref.npy"), "--reference-labels", _directory.File("labels.txt"), "--head", cnn, "--queries", _directory.File("q.npy"), "--out", _directory.File("s.csv"), "--alpha", "10");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("K = 10, D = 32", result.Stdout, StringComparison.Ordinal);

        string backbone = _directory.File("backbone.onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "models", "resnet18", "ResNet18.onnx"), backbone);
        CliResult refused = CliResult.Run("offline", "score", "--reference", _directory.File("ref.npy"), "--reference-labels", _directory.File("labels.txt"), "--head", backbone, "--queries", _directory.File("q.npy"), "--out", _directory.File("s2.csv"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("no final Gemm or MatMul", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_inspect_proposes_a_manifest_for_a_classifier()
    {
        string cnn = Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx");
        CliResult result = CliResult.Run("model", "inspect", cnn);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"logits\": \"logits\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"features\": \"features\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"feature_dimension\": 32", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("final linear layer: K = 10, D = 32", result.Stderr, StringComparison.Ordinal);
    }
}
