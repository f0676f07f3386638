namespace SisomCluster.Inference.Models;

/// <summary>An intermediate layer-state output s_j of an augmented model (SISOM.md §3.2), with its α.</summary>
/// <param name="Name">The graph output that holds s_j (N × C_j).</param>
/// <param name="Alpha">α_j, applied inside the graph.</param>
public sealed record LayerStateOutput(string Name, double Alpha)
{
    /// <summary>The layer tensor o_j the state was computed from (written by <c>sisom model augment</c>); null when unknown.</summary>
    public string? Tensor { get; init; }
}
