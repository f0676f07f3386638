using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Augmentation;

/// <summary>The augmented model and the layer-state outputs it gained, in the order of the layers asked for.</summary>
public sealed record AugmentedGraph(ModelProto Model, IReadOnlyList<LayerStateOutput> States);
