using System.Security.Cryptography;
using System.Text.Json;
using SisomCluster.Cli.Tests;
using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.States;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using SisomCluster.Lab.Datasets;
using SisomCluster.Lab.Eval;
using Xunit;

namespace SisomCluster.Lab.Tests.Eval;

/// <summary>
/// The committed ID-trained classifier of docs/results (docs/results/models/id_cnn.*, written by
/// deploy/models/train_id_cnn.py): its manifest matches the graph, its head has the 6 ID classes, the training record
/// names this very file, and the ID test images through the product's decoding, the manifest's normalisation and the
/// graph are classified as well as PyTorch classified them when it trained the model.
/// </summary>
public sealed class IdCnnModelTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_committed_id_cnn_is_the_trained_six_class_model_its_manifest_and_training_record_describe()
    {
        string models = Path.Combine(RepositoryRoot(), "docs", "results", "models");
        string onnx = Path.Combine(models, "id_cnn.onnx");
        Assert.InRange(new FileInfo(onnx).Length, 1, 2 * 1024 * 1024);

        ModelPackage model = ModelPackage.Load(onnx);
        Assert.Equal(EvalOodCommand.IdClasses, model.Manifest.ClassCount);
        Assert.Equal("logits", model.Manifest.Outputs.Logits);
        LinearHead head = ModelPackage.ReadFinalLinearLayer(onnx);
        Assert.Equal(EvalOodCommand.IdClasses, head.ClassCount);
        Assert.Equal(model.Manifest.FeatureDimension, head.FeatureDimension);

        using JsonDocument training = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "id_cnn.training.json")));
        JsonElement root = training.RootElement;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(onnx))), root.GetProperty("onnx_sha256").GetString());
        Assert.Equal([0, 1, 2, 3, 4, 5], root.GetProperty("classes").EnumerateArray().Select(c => c.GetInt32()));
        double pytorchAccuracy = root.GetProperty("test_accuracy").GetDouble();

        FashionMnist test = FashionMnist.Load(train: false);
        int[] idRows = Enumerable.Range(0, test.Count).Where(i => test.Labels[i] < EvalOodCommand.IdClasses).ToArray();
        Assert.Equal(root.GetProperty("test_images").GetInt32(), idRows.Length);
        GreyImageSet images = GreyImageSet.From("fmnist-test-id", test, idRows);
        using var cache = new EmbeddingCache(_directory.File("cache"), model, new ExtractorOptions { Provider = ExecutionProvider.Cpu }, 64, TextWriter.Null);
        FeatureMatrix features = cache.Features(images);
        double accuracy = HeadEvaluation.Accuracy(head, features, images.Labels);
        Assert.InRange(pytorchAccuracy, 0.85, 1);
        Assert.Equal(pytorchAccuracy, accuracy, 0.003);
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SisomCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
