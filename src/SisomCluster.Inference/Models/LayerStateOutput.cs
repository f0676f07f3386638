namespace SisomCluster.Inference.Models;

/// <summary>An intermediate layer-state output s_j of an augmented model (SISOM.md §3.2), with its α.</summary>
public sealed record LayerStateOutput(string Name, double Alpha);
