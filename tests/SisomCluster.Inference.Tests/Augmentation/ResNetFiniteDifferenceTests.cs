using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Heads;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Inference.Tests.Augmentation;

/// <summary>
/// The default ResNet-18 with a head fitted on real Fashion-MNIST features, augmented at two stage outputs. For a
/// sample of neurons of each layer (the largest gradients and random ones), ∂L/∂o from the augmented graph must
/// match a central difference taken on the model cut at that layer: the neuron is perturbed directly, everything
/// after it (convolutions, BN, residual adds, Relu, average pool, head) runs as ONNX Runtime runs it.
/// </summary>
public sealed class ResNetFiniteDifferenceTests(ITestOutputHelper output)
{
    // Stage outputs of the CNTK export: layer2 (128×28×28) and layer3 (256×14×14).
    private static readonly string[] Layers = ["ReLU315_Output_0", "ReLU347_Output_0"];

    [Fact]
    public async Task Gradients_of_sampled_neurons_match_finite_differences()
    {
        ModelPackage backbone = DefaultModel.Package;
        FashionMnist data = FashionMnist.Load(train: true, limit: 40);
        var options = new ExtractorOptions { Provider = ExecutionProvider.Cpu };
        float[] inputs;
        float[] features;
        using (var extractor = new FeatureExtractor(backbone, options))
        {
            (inputs, features) = await EmbedAsync(extractor, data);
        }

        var head = LogisticRegressionFitter.Fit(new FeatureMatrix(features, data.Count, 512), data.Labels.Select(l => (int)l).ToArray(), 10).Head;
        string directory = Directory.CreateTempSubdirectory("sisom-resnet-fd-").FullName;
        try
        {
            ModelPackage classifier = OnnxHeadExport.Export(backbone, head, Path.Combine(directory, "resnet18-head.onnx"));
            ModelProto model = OnnxGraph.Parse(classifier.ModelBytes, classifier.ModelPath);
            AugmentedGraph augmented = GradientAugmenter.Augment(model, "Input247", OnnxHeadExport.LogitsOutput, Layers.Select(l => new LayerChoice(l, 1)).ToList(), exposeGradients: true);
            foreach (string layer in Layers)
            {
                augmented.Model.Graph.Output.Add(new ValueInfoProto { Name = layer, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
            }

            int length = 3 * 224 * 224;
            using var session = new InferenceSession(augmented.Model.ToByteArray());
            using OrtValue image = OrtValue.CreateTensorValueFromMemory(inputs.AsSpan(0, length).ToArray(), [1, 3, 224, 224]);
            string[] names = [.. Layers, .. Layers.Select((_, j) => GradientAugmenter.GradientOutputPrefix + j)];
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, ["Input247"], [image], names);

            var random = new Random(17);
            for (int j = 0; j < Layers.Length; j++)
            {
                float[] o = results[j].GetTensorDataAsSpan<float>().ToArray();
                float[] g = results[Layers.Length + j].GetTensorDataAsSpan<float>().ToArray();
                long[] shape = results[j].GetTensorTypeAndShape().Shape;
                int[] sample = [.. Enumerable.Range(0, g.Length).OrderByDescending(i => Math.Abs(g[i])).Take(6), .. Enumerable.Range(0, 6).Select(_ => random.Next(g.Length))];
                double rms = Math.Sqrt(o.Average(v => (double)v * v));
                float epsilon = (float)(0.02 * rms);

                // One batch: for each sampled neuron, o + ε·e_i and o − ε·e_i.
                var batch = new float[2 * sample.Length * o.Length];
                for (int s = 0; s < sample.Length; s++)
                {
                    o.CopyTo(batch, 2 * s * o.Length);
                    o.CopyTo(batch, ((2 * s) + 1) * o.Length);
                    batch[(2 * s * o.Length) + sample[s]] += epsilon;
                    batch[(((2 * s) + 1) * o.Length) + sample[s]] -= epsilon;
                }

                using var cut = new InferenceSession(ModelCut.At(model, Layers[j], shape, OnnxHeadExport.LogitsOutput).ToByteArray());
                using OrtValue perturbed = OrtValue.CreateTensorValueFromMemory(batch, [2 * sample.Length, .. shape.Skip(1)]);
                using IDisposableReadOnlyCollection<OrtValue> logits = cut.Run(runOptions, [Layers[j]], [perturbed], [OnnxHeadExport.LogitsOutput]);
                double[] loss = Loss(logits[0].GetTensorDataAsSpan<float>(), 10);
                double largest = Math.Abs(g[sample[0]]);
                for (int s = 0; s < sample.Length; s++)
                {
                    double numeric = (loss[2 * s] - loss[(2 * s) + 1]) / (2.0 * epsilon);
                    double analytic = g[sample[s]];
                    output.WriteLine($"{Layers[j]} neuron {sample[s]}: analytic {analytic:E4}, finite difference {numeric:E4}, relative {Math.Abs(analytic - numeric) / largest:E2} of the largest");
                    Assert.True(Math.Abs(analytic - numeric) <= (0.05 * Math.Abs(analytic)) + (0.01 * largest), $"{Layers[j]} neuron {sample[s]}: analytic {analytic:E4}, finite difference {numeric:E4}");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double[] Loss(ReadOnlySpan<float> logits, int k)
    {
        var loss = new double[logits.Length / k];
        for (int i = 0; i < loss.Length; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * k, k);
            double max = double.NegativeInfinity;
            foreach (float l in row)
            {
                max = Math.Max(max, l);
            }

            double sum = 0;
            double total = 0;
            foreach (float l in row)
            {
                sum += Math.Exp(l - max);
                total += l;
            }

            loss[i] = -((total / k) - (max + Math.Log(sum)));
        }

        return loss;
    }

    private static async Task<(float[] Inputs, float[] Features)> EmbedAsync(FeatureExtractor extractor, FashionMnist data)
    {
        var decoder = new Inference.Decoding.ImageDecoder(extractor.Model.Normalization);
        var inputs = new float[data.Count * extractor.InputLength];
        for (int i = 0; i < data.Count; i++)
        {
            Assert.True(decoder.Decode(data.EncodePng(i), inputs.AsSpan(i * extractor.InputLength, extractor.InputLength)).Success);
        }

        var features = new float[data.Count * 512];
        await Task.Run(() =>
        {
            for (int start = 0; start < data.Count; start += 20)
            {
                extractor.Run(inputs.AsMemory(start * extractor.InputLength), 20, features.AsMemory(start * 512));
            }
        });
        return (inputs, features);
    }
}
