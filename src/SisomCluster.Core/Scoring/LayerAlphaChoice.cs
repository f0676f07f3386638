namespace SisomCluster.Core.Scoring;

/// <summary>The α an intermediate layer gets from <see cref="LayerAlphaSearch"/>, and r_avg at every grid point tried.</summary>
public sealed record LayerAlphaChoice(double Alpha, IReadOnlyList<AlphaCandidate> Grid);
