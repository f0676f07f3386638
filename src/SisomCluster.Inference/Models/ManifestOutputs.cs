namespace SisomCluster.Inference.Models;

/// <summary>Names of the graph outputs the system reads.</summary>
public sealed record ManifestOutputs
{
    /// <summary>Penultimate features h (N×D, or N×D×1×1: everything after N is flattened).</summary>
    public required string Features { get; init; }

    /// <summary>Logits l (N×K) when the model has a classifier; null for a backbone whose head is fitted.</summary>
    public string? Logits { get; init; }

    /// <summary>Layer states of an augmented model, in the fixed order they join z.</summary>
    public IReadOnlyList<LayerStateOutput> LayerStates { get; init; } = [];
}
