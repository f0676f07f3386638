using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Cli.Model;

/// <summary>A best guess at a model's manifest from its graph alone; the user checks the normalisation.</summary>
internal static class ManifestProposal
{
    public static ModelManifest Propose(ModelProto model, string name)
    {
        IReadOnlyList<ValueInfoProto> inputs = OnnxGraph.RealInputs(model);
        ValueInfoProto input = inputs.FirstOrDefault(i => OnnxGraph.Shape(i).Length == 4)
            ?? throw new UsageException($"no 4-D (NCHW) image input among {string.Join(", ", inputs.Select(i => $"{i.Name} {OnnxGraph.DescribeShape(i)}"))}.");
        long?[] shape = OnnxGraph.Shape(input);
        int channels = (int)(shape[1] ?? 3);
        int height = (int)(shape[2] ?? 224);
        int width = (int)(shape[3] ?? 224);
        bool grey = channels == 1;

        // A classifier's logits are the output of its final linear layer; its features are what feeds that layer.
        var final = OnnxGraph.FindFinalLinearLayer(model);
        ValueInfoProto[] outputs = [.. model.Graph.Output];
        string features;
        string? logits = null;
        int dimension;
        if (final is { } f && outputs.Length >= 2)
        {
            ValueInfoProto logitsOutput = outputs.FirstOrDefault(o => PerItem(o) == f.ClassCount) ?? outputs[^1];
            logits = logitsOutput.Name;
            ValueInfoProto featuresOutput = outputs.FirstOrDefault(o => o != logitsOutput && PerItem(o) == f.FeatureDimension) ?? outputs[0];
            features = featuresOutput.Name;
            dimension = f.FeatureDimension;
        }
        else
        {
            ValueInfoProto only = outputs[0];
            features = only.Name;
            dimension = (int)(PerItem(only) ?? 0);
        }

        return new ModelManifest
        {
            Name = name,
            Input = new ManifestInput
            {
                Name = input.Name,
                Width = width,
                Height = height,
                Colour = grey ? "grey" : "rgb",
                Scale = 1.0 / 255,

                // torchvision's ImageNet statistics: the most common convention; the user must check.
                Mean = grey ? [0.5] : [0.485, 0.456, 0.406],
                Std = grey ? [0.5] : [0.229, 0.224, 0.225],
            },
            Outputs = new ManifestOutputs { Features = features, Logits = logits },
            FeatureDimension = dimension,
            ClassCount = logits is null ? null : final!.Value.ClassCount,
        };
    }

    private static long? PerItem(ValueInfoProto value)
    {
        long?[] shape = OnnxGraph.Shape(value);
        return shape.Length >= 2 && shape.Skip(1).All(d => d is not null) ? shape.Skip(1).Aggregate(1L, (a, d) => a * d!.Value) : null;
    }
}
