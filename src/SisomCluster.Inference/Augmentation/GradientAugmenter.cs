using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Augmentation;

/// <summary>
/// Appends to an inference graph the reverse-mode derivative of L = −(1/K) Σ_k log softmax(l)_k with respect to
/// chosen layer tensors o_j, and outputs s_j = σ(α_j · mean_hw(o_j) ⊙ mean_hw(∂L/∂o_j)) per item (SISOM.md §3.2).
/// Only the subgraph between the chosen layers and the logits is differentiated; the batch stays dynamic, and the
/// result is made of ordinary ONNX ops, so ONNX Runtime runs it on any execution provider.
/// </summary>
public static class GradientAugmenter
{
    /// <summary>Output name of layer state j: <c>sisom_state_0</c>, <c>sisom_state_1</c>, …</summary>
    public const string StatePrefix = "sisom_state_";

    /// <summary>Every tensor and node the backward pass adds is named under this prefix.</summary>
    internal const string GradientPrefix = "sisom_grad/";

    /// <summary>Output name of the raw gradient ∂L/∂o_j when asked for (verification only).</summary>
    internal const string GradientOutputPrefix = "sisom_gradient_";

    public static AugmentedGraph Augment(ModelProto source, string inputName, string logitsName, IReadOnlyList<LayerChoice> layers) =>
        Augment(source, inputName, logitsName, layers, exposeGradients: false);

    /// <param name="exposeGradients">Also output each ∂L/∂o_j in full (<c>sisom_gradient_j</c>), for finite-difference checks.</param>
    internal static AugmentedGraph Augment(ModelProto source, string inputName, string logitsName, IReadOnlyList<LayerChoice> layers, bool exposeGradients)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("Choose at least one layer tensor (--layer TENSOR:ALPHA).", nameof(layers));
        }

        if (layers.Select(l => l.Tensor).Distinct(StringComparer.Ordinal).Count() != layers.Count)
        {
            throw new ArgumentException("A layer tensor is listed twice.", nameof(layers));
        }

        ModelProto model = source.Clone();
        GraphProto graph = model.Graph;
        if (graph.Output.All(o => o.Name != logitsName))
        {
            throw new InvalidDataException($"Logits '{logitsName}' are not a model output.");
        }

        if (graph.Node.Any(n => n.Output.Any(o => o.StartsWith(GradientPrefix, StringComparison.Ordinal))) || graph.Output.Any(o => o.Name.StartsWith(StatePrefix, StringComparison.Ordinal)))
        {
            throw new InvalidDataException("The model is already augmented (it has sisom_state_ outputs); augment the original model instead.");
        }

        OpsetUpgrade.Apply(model);
        var produced = graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (LayerChoice layer in layers.Where(l => !produced.Contains(l.Tensor)))
        {
            throw new InvalidDataException($"Layer tensor '{layer.Tensor}' is not in the graph (list node outputs with `sisom model inspect --tensors`).");
        }

        // Relevant = downstream of a chosen layer (through data inputs) and upstream of the logits.
        var downstream = layers.Select(l => l.Tensor).ToHashSet(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            if (BackwardPass.DataInputs(node).Any(downstream.Contains))
            {
                downstream.UnionWith(node.Output.Where(o => o.Length > 0));
            }
        }

        var upstream = new HashSet<string>(StringComparer.Ordinal) { logitsName };
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            if (graph.Node[i].Output.Any(upstream.Contains))
            {
                upstream.UnionWith(graph.Node[i].Input.Where(x => x.Length > 0));
            }
        }

        var relevant = downstream.Where(upstream.Contains).ToHashSet(StringComparer.Ordinal);
        foreach (LayerChoice layer in layers.Where(l => !relevant.Contains(l.Tensor)))
        {
            throw new InvalidDataException($"Layer tensor '{layer.Tensor}' does not lead to the logits '{logitsName}', so L has no gradient there.");
        }

        // The nodes strictly after the chosen layers: a chosen tensor's own producer is not differentiated.
        List<NodeProto> path = graph.Node.Where(n => n.Output.Any(relevant.Contains) && BackwardPass.DataInputs(n).Any(relevant.Contains)).ToList();
        NodeProto? unsupported = path.FirstOrDefault(n => !BackwardPass.SupportedOps.Contains(n.OpType) || (n.Domain.Length > 0 && n.Domain != "ai.onnx"));
        if (unsupported is not null)
        {
            throw BackwardPass.Unsupported(unsupported);
        }

        Dictionary<string, long[]> shapes = ShapeProbe.Run(model, inputName, relevant.Append(logitsName));
        long[] logitShape = shapes[logitsName];
        if (logitShape.Length != 2 || logitShape[1] < 2)
        {
            throw new InvalidDataException($"Logits '{logitsName}' have shape [{string.Join(", ", logitShape)}]; expected N×K with K ≥ 2.");
        }

        var writer = new GraphWriter(graph, GradientPrefix);
        var pass = new BackwardPass(writer, shapes, relevant);

        // ∂L/∂l = softmax(l) − 1/K per item (no batch mean: each item's states use its own gradient).
        string probabilities = writer.Node("Softmax", [logitsName], GraphWriter.Int("axis", -1));
        pass.Seed(logitsName, writer.Node("Sub", [probabilities, writer.Scalar(1f / logitShape[1])]));
        for (int i = path.Count - 1; i >= 0; i--)
        {
            pass.Differentiate(path[i]);
        }

        var states = new List<LayerStateOutput>(layers.Count);
        for (int j = 0; j < layers.Count; j++)
        {
            LayerChoice layer = layers[j];
            string gradient = pass.Gradient(layer.Tensor) ?? throw new InvalidOperationException($"No gradient reached '{layer.Tensor}'.");
            long[] shape = shapes[layer.Tensor];
            string meanO = SpatialMean(writer, layer.Tensor, shape.Length);
            string meanG = SpatialMean(writer, gradient, shape.Length);
            string product = writer.Node("Mul", [meanO, meanG]);
            string scaled = writer.Node("Mul", [product, writer.Scalar((float)layer.Alpha)]);
            string name = StatePrefix + j.ToString(System.Globalization.CultureInfo.InvariantCulture);
            graph.Node.Add(new NodeProto { OpType = "Sigmoid", Name = name + "/node", Input = { scaled }, Output = { name } });
            graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto
                {
                    TensorType = new TypeProto.Types.Tensor
                    {
                        ElemType = (int)TensorProto.Types.DataType.Float,
                        Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "N" }, new TensorShapeProto.Types.Dimension { DimValue = shape[1] } } },
                    },
                },
            });
            states.Add(new LayerStateOutput(name, layer.Alpha) { Tensor = layer.Tensor });
            if (exposeGradients)
            {
                string exposed = GradientOutputPrefix + j.ToString(System.Globalization.CultureInfo.InvariantCulture);
                graph.Node.Add(new NodeProto { OpType = "Identity", Name = exposed + "/node", Input = { gradient }, Output = { exposed } });
                graph.Output.Add(new ValueInfoProto { Name = exposed, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
            }
        }

        return new AugmentedGraph(model, states);
    }

    /// <summary>mean_hw: the mean over every axis after N and C (nothing to average for an N×C tensor).</summary>
    private static string SpatialMean(GraphWriter writer, string tensor, int rank) =>
        rank <= 2 ? tensor : writer.Node("ReduceMean", [tensor], GraphWriter.Ints("axes", Enumerable.Range(2, rank - 2).Select(a => (long)a)), GraphWriter.Int("keepdims", 0));
}
