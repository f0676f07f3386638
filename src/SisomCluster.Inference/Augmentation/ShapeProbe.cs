using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Augmentation;

/// <summary>
/// The static shapes of chosen tensors, read by running the model once on a zero batch of one item with
/// those tensors added as outputs. ONNX Runtime computes them exactly for every op, including ops the
/// augmenter never has to differentiate; only the batch dimension of the result is meaningless.
/// </summary>
internal static class ShapeProbe
{
    public static Dictionary<string, long[]> Run(ModelProto model, string inputName, IEnumerable<string> tensors)
    {
        ModelProto probe = model.Clone();
        var existing = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var wanted = tensors.Distinct(StringComparer.Ordinal).ToList();
        foreach (string name in wanted.Where(n => !existing.Contains(n)))
        {
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        ValueInfoProto input = OnnxGraph.RealInputs(probe).FirstOrDefault(i => i.Name == inputName)
            ?? throw new InvalidDataException($"The model has no input '{inputName}'.");
        long?[] inputShape = OnnxGraph.Shape(input);
        if (inputShape.Length < 2 || inputShape.Skip(1).Any(d => d is null))
        {
            throw new InvalidDataException($"Input '{inputName}' has shape {OnnxGraph.DescribeShape(input)}; augmenting needs every dimension but the batch to be fixed.");
        }

        long[] shape = [1, .. inputShape.Skip(1).Select(d => d!.Value)];
        var zeros = new float[shape.Aggregate(1L, (a, d) => a * d)];
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(zeros, shape);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, [inputName], [value], wanted);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (int i = 0; i < wanted.Count; i++)
        {
            shapes[wanted[i]] = results[i].GetTensorTypeAndShape().Shape;
        }

        return shapes;
    }
}
