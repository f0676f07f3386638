using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Augmentation;

/// <summary>
/// Raises a model to the opset the backward pass needs (ScatterElements with reduction "add" is opset 16).
/// Only ops whose meaning did not change between opset 7 and <see cref="TargetOpset"/> are accepted, with the
/// one attribute that was dropped on the way (BatchNormalization's <c>spatial</c>, removed in opset 9) removed.
/// </summary>
internal static class OpsetUpgrade
{
    public const long TargetOpset = 17;

    /// <summary>IR version 8 is the first to carry opset 17.</summary>
    private const long TargetIrVersion = 8;

    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Div",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Gemm", "MatMul",
        "Concat", "Identity", "Transpose", "Shape", "Gather", "Cast", "Constant", "Exp", "Log", "Sqrt", "Pow", "Neg",
    };

    public static void Apply(ModelProto model)
    {
        long opset = OnnxGraph.Opset(model);
        if (opset < 7)
        {
            throw new NotSupportedException($"The model uses opset {opset}; augmenting needs opset 7 or later (re-export the model).");
        }

        if (opset < TargetOpset)
        {
            foreach (NodeProto node in model.Graph.Node.Where(n => n.Domain.Length == 0 || n.Domain == "ai.onnx"))
            {
                if (!Unchanged.Contains(node.OpType))
                {
                    throw new NotSupportedException($"Node '{node.Name}' ({node.OpType}) changed meaning between opset {opset} and {TargetOpset}, which augmenting needs; re-export the model at opset {TargetOpset} or later.");
                }

                if (node.OpType == "BatchNormalization")
                {
                    AttributeProto? spatial = node.Attribute.FirstOrDefault(a => a.Name == "spatial");
                    if (spatial is not null && spatial.I != 1)
                    {
                        throw new NotSupportedException($"Node '{node.Name}' is a BatchNormalization with spatial = 0, which opset 9 removed.");
                    }

                    if (spatial is not null)
                    {
                        node.Attribute.Remove(spatial);
                    }
                }
            }

            foreach (OperatorSetIdProto import in model.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx"))
            {
                import.Version = TargetOpset;
            }
        }

        model.IrVersion = Math.Max(model.IrVersion, TargetIrVersion);

        // From IR 4 on, an initializer that is also a graph input is an overridable input: ONNX Runtime would neither
        // constant-fold nor fuse it. IR 3 exports list every weight as an input, so take them out.
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (ValueInfoProto input in model.Graph.Input.Where(i => initializers.Contains(i.Name)).ToList())
        {
            model.Graph.Input.Remove(input);
        }
    }
}
