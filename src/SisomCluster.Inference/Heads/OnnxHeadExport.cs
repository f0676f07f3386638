using Google.Protobuf;
using Onnx;
using SisomCluster.Core.States;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Heads;

/// <summary>
/// Appends a fitted head to a backbone as ordinary ONNX ops — Flatten(features) → Gemm(W, b) — so one
/// session outputs both h and l (on GPU too), and writes the matching manifest.
/// </summary>
public static class OnnxHeadExport
{
    public const string LogitsOutput = "sisom_logits";

    /// <summary>Writes <paramref name="outputPath"/> (model) and its manifest; returns the new package.</summary>
    public static ModelPackage Export(ModelPackage backbone, LinearHead head, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        ModelManifest manifest = backbone.Manifest;
        if (manifest.Outputs.Logits is not null)
        {
            throw new InvalidOperationException($"{backbone.ModelPath} already has logits ('{manifest.Outputs.Logits}').");
        }

        if (head.FeatureDimension != manifest.FeatureDimension)
        {
            throw new ArgumentException($"The head expects D = {head.FeatureDimension}, the model gives D = {manifest.FeatureDimension}.", nameof(head));
        }

        ModelProto model = OnnxGraph.Parse(backbone.ModelBytes, backbone.ModelPath);
        GraphProto graph = model.Graph;
        string flat = "sisom_features_flat";
        graph.Node.Add(new NodeProto { OpType = "Flatten", Name = "sisom_flatten", Input = { manifest.Outputs.Features }, Output = { flat }, Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } } });
        graph.Initializer.Add(Tensor("sisom_head_W", [head.ClassCount, head.FeatureDimension], head.Weights));
        graph.Initializer.Add(Tensor("sisom_head_b", [head.ClassCount], head.Bias));
        graph.Node.Add(new NodeProto
        {
            OpType = "Gemm",
            Name = "sisom_head",
            Input = { flat, "sisom_head_W", "sisom_head_b" },
            Output = { LogitsOutput },
            Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });
        graph.Output.Add(new ValueInfoProto
        {
            Name = LogitsOutput,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float,
                    Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "N" }, new TensorShapeProto.Types.Dimension { DimValue = head.ClassCount } } },
                },
            },
        });

        string directory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(outputPath, model.ToByteArray());
        if (manifest.Input.MeanImage is { } mean)
        {
            string source = Path.Combine(Path.GetDirectoryName(backbone.ModelPath)!, mean);
            string target = Path.Combine(directory, mean);
            if (!string.Equals(Path.GetFullPath(source), Path.GetFullPath(target), StringComparison.Ordinal))
            {
                File.Copy(source, target, overwrite: true);
            }
        }

        ModelManifest withHead = manifest with
        {
            Name = manifest.Name + "+head",
            Outputs = manifest.Outputs with { Logits = LogitsOutput },
            ClassCount = head.ClassCount,
        };
        File.WriteAllText(ModelPackage.ManifestPathFor(outputPath), withHead.ToJson());
        return ModelPackage.Load(outputPath);
    }

    private static TensorProto Tensor(string name, long[] dims, double[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values.Select(v => (float)v));
        return tensor;
    }
}
