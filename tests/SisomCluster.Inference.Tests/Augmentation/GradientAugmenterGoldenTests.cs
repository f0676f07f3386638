using Microsoft.ML.OnnxRuntime;
using Onnx;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Models;
using Xunit;

namespace SisomCluster.Inference.Tests.Augmentation;

public sealed class GradientAugmenterGoldenTests
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void Augmented_small_cnn_reproduces_the_autograd_states_of_every_layer()
    {
        MultilayerGolden golden = MultilayerGolden.Instance;
        var layers = golden.Layers.Select(l => new LayerChoice(l.Tensor, l.Alpha))
            .Append(new LayerChoice(golden.FeaturesName, golden.FeaturesAlpha))
            .ToList();
        AugmentedGraph augmented = GradientAugmenter.Augment(Load(golden.ModelPath), golden.InputName, golden.LogitsName, layers);

        Dictionary<string, float[]> outputs = Run(augmented.Model, golden, [golden.LogitsName, .. augmented.States.Select(s => s.Name)]);
        var worst = new Dictionary<string, double> { ["logits"] = MaxDifference(golden.Logits, outputs[golden.LogitsName]) };
        for (int j = 0; j < golden.Layers.Count; j++)
        {
            worst[golden.Layers[j].Key] = MaxDifference(golden.States[golden.Layers[j].Key], outputs[augmented.States[j].Name]);
            Assert.Equal(golden.Layers[j].Tensor, augmented.States[j].Tensor);
            Assert.Equal(golden.Layers[j].Alpha, augmented.States[j].Alpha);
        }

        worst["features"] = MaxDifference(golden.States["features"], outputs[augmented.States[^1].Name]);
        Assert.True(worst.Values.All(w => w <= Tolerance), "max |difference| per output: " + string.Join(", ", worst.Select(p => $"{p.Key} {p.Value:E2}")));
    }

    [Fact]
    public void States_do_not_depend_on_the_other_items_of_the_batch()
    {
        // Per-item derivatives: a batch mean of L would scale every gradient by 1/N and move the states.
        MultilayerGolden golden = MultilayerGolden.Instance;
        (string _, string tensor, double _) = golden.Layers[2];
        AugmentedGraph augmented = GradientAugmenter.Augment(Load(golden.ModelPath), golden.InputName, golden.LogitsName, [new LayerChoice(tensor, 1000)]);
        float[] all = Run(augmented.Model, golden, [augmented.States[0].Name])[augmented.States[0].Name];
        int c = all.Length / golden.Count;
        for (int item = 0; item < golden.Count; item += 5)
        {
            float[] single = Run(augmented.Model, golden, [augmented.States[0].Name], item)[augmented.States[0].Name];
            for (int k = 0; k < c; k++)
            {
                Assert.Equal(all[(item * c) + k], single[k], 1e-5);
            }
        }
    }

    [Fact]
    public void Final_linear_layer_of_an_augmented_model_is_still_the_classifier()
    {
        // The backward pass ends in a Gemm with the classifier's own W; W and b must still come from the forward one.
        MultilayerGolden golden = MultilayerGolden.Instance;
        ModelProto original = Load(golden.ModelPath);
        AugmentedGraph augmented = GradientAugmenter.Augment(original, golden.InputName, golden.LogitsName, [new LayerChoice(golden.Layers[0].Tensor, 1)]);
        var expected = OnnxGraph.FindFinalLinearLayer(original)!.Value;
        var actual = OnnxGraph.FindFinalLinearLayer(augmented.Model)!.Value;
        Assert.Equal(expected.Weights, actual.Weights);
        Assert.Equal(expected.Bias, actual.Bias);
        Assert.Equal((10, 32), (actual.ClassCount, actual.FeatureDimension));
    }

    internal static ModelProto Load(string path) => OnnxGraph.Parse(File.ReadAllBytes(path), path);

    /// <summary>Runs the golden inputs (all, or one item) through a model and returns the named outputs, flattened.</summary>
    internal static Dictionary<string, float[]> Run(ModelProto model, MultilayerGolden golden, IReadOnlyList<string> names, int? item = null)
    {
        int per = golden.Inputs.Length / golden.Count;
        float[] inputs = item is { } i ? golden.Inputs.AsSpan(i * per, per).ToArray() : golden.Inputs;
        long n = item is null ? golden.Count : 1;
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(inputs, [n, .. golden.InputShape]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, [golden.InputName], [input], names);
        return names.Select((name, k) => (name, results[k].GetTensorDataAsSpan<float>().ToArray())).ToDictionary(p => p.name, p => p.Item2, StringComparer.Ordinal);
    }

    private static double MaxDifference(float[][] expected, float[] actual)
    {
        int width = expected[0].Length;
        Assert.Equal(expected.Length * width, actual.Length);
        double worst = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            for (int c = 0; c < width; c++)
            {
                worst = Math.Max(worst, Math.Abs(expected[r][c] - actual[(r * width) + c]));
            }
        }

        return worst;
    }
}
