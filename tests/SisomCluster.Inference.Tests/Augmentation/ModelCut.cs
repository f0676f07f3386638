using Onnx;

namespace SisomCluster.Inference.Tests.Augmentation;

/// <summary>
/// The part of a model after a tensor: that tensor becomes the graph input and only the nodes needed to compute
/// the logits from it remain. Used to perturb a layer's neurons directly for finite differences. The cut must be
/// clean: a node after it that still needs an earlier tensor (a skip connection around it) is an error.
/// </summary>
public static class ModelCut
{
    public static ModelProto At(ModelProto source, string tensor, long[] shape, string logits = "logits")
    {
        ModelProto model = source.Clone();
        GraphProto graph = model.Graph;
        var needed = new HashSet<string>(StringComparer.Ordinal) { logits };
        var keep = new List<NodeProto>();
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            NodeProto node = graph.Node[i];
            if (node.Output.Any(needed.Contains) && !node.Output.Contains(tensor))
            {
                keep.Add(node);
                needed.UnionWith(node.Input.Where(x => x.Length > 0 && x != tensor));
            }
        }

        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        string? dangling = needed.FirstOrDefault(n => n != logits && !initializers.Contains(n) && keep.All(k => !k.Output.Contains(n)));
        if (dangling is not null)
        {
            throw new InvalidOperationException($"Cutting at '{tensor}' leaves '{dangling}' without a producer.");
        }

        keep.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(keep);
        graph.Input.Clear();

        // IR 3 requires every initializer to be a graph input too; from IR 4 on they stand alone.
        model.IrVersion = Math.Max(model.IrVersion, 4);
        var dims = new TensorShapeProto();
        dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in shape.Skip(1))
        {
            dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        graph.Input.Add(new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = dims } } });
        var outputs = graph.Output.Where(o => o.Name == logits).ToList();
        graph.Output.Clear();
        graph.Output.AddRange(outputs);
        graph.ValueInfo.Clear();
        return model;
    }
}
