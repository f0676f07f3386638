using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SisomCluster.Inference.Augmentation;
using Xunit;
using static SisomCluster.Inference.Tests.Augmentation.TinyModel;

namespace SisomCluster.Inference.Tests.Augmentation;

/// <summary>
/// Every supported op, checked by finite differences: for the gradient g = ∂L/∂x the augmented graph outputs,
/// the directional derivative ⟨g, v⟩ must equal (L(x + εv) − L(x − εv)) / 2ε, with L computed in double from
/// the model's own logits. A wrong adjoint (transposed kernel, lost output_padding, a scatter that overwrites
/// instead of adding) moves ⟨g, v⟩ by far more than the tolerance.
/// </summary>
public sealed class GradientAugmenterOpTests
{
    private const int Items = 3;

    [Fact]
    public void Conv_bn_pools_residual_broadcast_reshape_matmul_and_gemm_match_finite_differences()
    {
        // x → grouped strided Conv with asymmetric pads (needs output_padding) → BN → Relu → overlapping MaxPool →
        // dilated Conv + residual Add → Mul by a broadcast constant → Relu → padded AveragePool (count_include_pad 0)
        // → {GlobalAveragePool → Flatten → Gemm} + {Reshape → MatMul} → Sub of a broadcast bias → Gemm (α, transB).
        var m = new TinyModel(11, "x", 4, 11, 11);
        m.Node("Conv", "c1", ["x", m.Weight("w1", 8, 2, 3, 3), m.Weight("b1", 8)], I("group", 2), Is("strides", 2, 2), Is("pads", 1, 1, 0, 0));
        m.Node("BatchNormalization", "bn1", ["c1", m.Positive("scale", 8), m.Weight("shift", 8), m.Weight("mean", 8), m.Positive("var", 8)], F("epsilon", 1e-3f));
        m.Node("Relu", "r1", ["bn1"]);
        m.Node("MaxPool", "m1", ["r1"], Is("kernel_shape", 3, 3), Is("pads", 1, 1, 1, 1));
        m.Node("Conv", "c2", ["m1", m.Weight("w2", 8, 8, 3, 3)], Is("dilations", 2, 2), Is("pads", 2, 2, 2, 2));
        m.Node("Add", "a1", ["c2", "m1"]);
        m.Node("Mul", "s1", ["a1", m.Positive("gain", 1, 8, 1, 1)]);
        m.Node("Relu", "r2", ["s1"]);
        m.Node("AveragePool", "p2", ["r2"], Is("kernel_shape", 3, 3), Is("strides", 2, 2), Is("pads", 1, 1, 1, 1));
        m.Node("GlobalAveragePool", "g", ["p2"]);
        m.Node("Flatten", "f", ["g"], I("axis", 1));
        m.Node("Gemm", "h", ["f", m.Weight("wg", 6, 8)], I("transB", 1));
        m.Node("Reshape", "rs", ["p2", m.Ints("shape", 0, -1)]);
        m.Node("MatMul", "mm", ["rs", m.Weight("wm", 72, 6)]);
        m.Node("Add", "h2", ["h", "mm"]);
        m.Node("Sub", "h3", ["h2", m.Weight("bias", 6)]);
        m.Node("Gemm", "logits", ["h3", m.Weight("wl", 6, 5), m.Weight("bl", 5)], F("alpha", 0.5f));
        m.Output("logits", 5);

        // Cut points after the input: Relu and MaxPool have kinks, and a step of ε across one breaks a central
        // difference; these seeded cuts cross none. The input-side Conv is covered kink-free below.
        CheckAgainstFiniteDifferences(m, ["c1", "bn1", "m1", "r2"]);
    }

    [Theory]
    [InlineData(1, 2, 1, 1, 1, 0, 0)]
    [InlineData(2, 2, 1, 1, 1, 0, 0)]
    [InlineData(2, 1, 1, 1, 1, 1, 1)]
    [InlineData(1, 3, 2, 2, 0, 1, 2)]
    [InlineData(4, 2, 2, 0, 1, 1, 0)]
    public void Conv_adjoint_matches_finite_differences_for_group_stride_dilation_and_pads(int group, int stride, int dilation, int padTop, int padLeft, int padBottom, int padRight)
    {
        // Smooth after the conv (no Relu, no MaxPool), so central differences are exact up to rounding.
        var m = new TinyModel(21, "x", 4, 11, 10);
        m.Node("Conv", "c", ["x", m.Weight("w", 8, 4 / group, 3, 3), m.Weight("b", 8)], I("group", group), Is("strides", stride, stride), Is("dilations", dilation, dilation), Is("pads", padTop, padLeft, padBottom, padRight));
        m.Node("Mul", "sq", ["c", "c"]);
        m.Node("GlobalAveragePool", "g", ["sq"]);
        m.Node("Flatten", "f", ["g"]);
        m.Node("Gemm", "logits", ["f", m.Weight("wl", 8, 5)]);
        m.Output("logits", 5);
        CheckAgainstFiniteDifferences(m, ["x"]);
    }

    [Fact]
    public void Unsupported_op_on_the_path_names_itself()
    {
        var m = new TinyModel(3, "x", 2, 4, 4);
        m.Node("Conv", "c", ["x", m.Weight("w", 3, 2, 3, 3)], Is("pads", 1, 1, 1, 1));
        m.Node("Tanh", "t", ["c"]);
        m.Node("GlobalAveragePool", "g", ["t"]);
        m.Node("Flatten", "f", ["g"]);
        m.Node("Gemm", "logits", ["f", m.Weight("wl", 3, 3)]);
        m.Output("logits", 3);

        var e = Assert.Throws<NotSupportedException>(() => GradientAugmenter.Augment(m.Model, "x", "logits", [new LayerChoice("c", 1)]));
        Assert.Contains("Tanh", e.Message, StringComparison.Ordinal);
        Assert.Contains("'t_node'", e.Message, StringComparison.Ordinal);

        // After the unsupported op the path is fine.
        AugmentedGraph after = GradientAugmenter.Augment(m.Model, "x", "logits", [new LayerChoice("t", 1)]);
        Assert.Single(after.States);
    }

    [Fact]
    public void Unknown_or_dead_end_layers_are_named()
    {
        var m = new TinyModel(4, "x", 2, 4, 4);
        m.Node("Relu", "r", ["x"]);
        m.Node("Relu", "side", ["x"]);
        m.Node("GlobalAveragePool", "g", ["r"]);
        m.Node("Flatten", "logits", ["g"]);
        m.Output("logits", 2);
        m.Output("side", 2, 4, 4);

        var missing = Assert.Throws<InvalidDataException>(() => GradientAugmenter.Augment(m.Model, "x", "logits", [new LayerChoice("nope", 1)]));
        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
        var dead = Assert.Throws<InvalidDataException>(() => GradientAugmenter.Augment(m.Model, "x", "logits", [new LayerChoice("side", 1)]));
        Assert.Contains("'side' does not lead to the logits", dead.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/layer3/Relu:1000", "/layer3/Relu", 1000)]
    [InlineData("a:b:0.5", "a:b", 0.5)]
    public void Layer_option_splits_at_the_last_colon(string text, string tensor, double alpha) =>
        Assert.Equal(new LayerChoice(tensor, alpha), LayerChoice.Parse(text));

    [Theory]
    [InlineData("noalpha")]
    [InlineData("t:0")]
    [InlineData("t:-1")]
    [InlineData(":3")]
    [InlineData("t:x")]
    public void Bad_layer_options_are_rejected(string text) => Assert.Throws<FormatException>(() => LayerChoice.Parse(text));

    /// <summary>Checks ⟨∂L/∂o, v⟩ against central differences for each layer o, perturbing o through a model cut at o.</summary>
    internal static void CheckAgainstFiniteDifferences(TinyModel m, IReadOnlyList<string> layers)
    {
        var random = new Random(7);
        long per = m.InputShape.Aggregate(1L, (a, d) => a * d);
        float[] x = Enumerable.Range(0, (int)(Items * per)).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        AugmentedGraph augmented = GradientAugmenter.Augment(m.Model, "x", "logits", layers.Select(l => new LayerChoice(l, 1)).ToList(), exposeGradients: true);
        string[] names = [.. layers.Select((_, j) => GradientAugmenter.GradientOutputPrefix + j), .. layers.Where(l => l != "x")];
        foreach (string layer in layers.Where(l => l != "x"))
        {
            augmented.Model.Graph.Output.Add(new ValueInfoProto { Name = layer, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }

        using var session = new InferenceSession(augmented.Model.ToByteArray());
        Dictionary<string, (float[] Values, long[] Shape)> outputs = Run(session, "x", x, [Items, .. m.InputShape], names);
        outputs["x"] = (x, [Items, .. m.InputShape]);

        for (int j = 0; j < layers.Count; j++)
        {
            (float[] o, long[] shape) = outputs[layers[j]];
            float[] g = outputs[names[j]].Values;
            Assert.Equal(o.Length, g.Length);
            using var cut = new InferenceSession(ModelCut.At(m.Model, layers[j], shape).ToByteArray());
            for (int direction = 0; direction < 3; direction++)
            {
                float[] v = o.Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                const float Epsilon = 1e-3f;
                double[] plus = Loss(Run(cut, layers[j], o.Select((value, i) => value + (Epsilon * v[i])).ToArray(), shape, ["logits"])["logits"].Values);
                double[] minus = Loss(Run(cut, layers[j], o.Select((value, i) => value - (Epsilon * v[i])).ToArray(), shape, ["logits"])["logits"].Values);
                int length = o.Length / Items;
                for (int item = 0; item < Items; item++)
                {
                    double analytic = 0;
                    for (int k = 0; k < length; k++)
                    {
                        analytic += (double)g[(item * length) + k] * v[(item * length) + k];
                    }

                    double numeric = (plus[item] - minus[item]) / (2 * Epsilon);
                    Assert.True(Math.Abs(analytic - numeric) <= 2e-2 * Math.Abs(numeric) + 2e-4, $"layer {layers[j]}, item {item}: ⟨g, v⟩ = {analytic:G6}, finite difference {numeric:G6}");
                }
            }
        }
    }

    /// <summary>L = −(1/K) Σ log softmax(l) per row, in double.</summary>
    internal static double[] Loss(float[] logits)
    {
        int k = logits.Length / Items;
        var loss = new double[Items];
        for (int i = 0; i < Items; i++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(i * k, k);
            double max = double.NegativeInfinity;
            foreach (float l in row)
            {
                max = Math.Max(max, l);
            }

            double sum = 0;
            foreach (float l in row)
            {
                sum += Math.Exp(l - max);
            }

            double logSum = max + Math.Log(sum);
            double total = 0;
            foreach (float l in row)
            {
                total += l - logSum;
            }

            loss[i] = -total / k;
        }

        return loss;
    }

    private static Dictionary<string, (float[] Values, long[] Shape)> Run(InferenceSession session, string input, float[] values, long[] shape, IReadOnlyList<string> names)
    {
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(values, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, [input], [value], names);
        return names.Select((n, i) => (n, (results[i].GetTensorDataAsSpan<float>().ToArray(), results[i].GetTensorTypeAndShape().Shape))).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal);
    }
}
