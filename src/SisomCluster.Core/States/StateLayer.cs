namespace SisomCluster.Core.States;

/// <summary>
/// One intermediate layer whose states s_j join z after s_pen (SISOM.md §3.2–§3.3): its name (the layer
/// tensor), α_j (applied where s_j is computed, in the augmented model) and its width C_j.
/// </summary>
public sealed record StateLayer(string Name, double Alpha, int Width);
