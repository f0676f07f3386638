namespace SisomCluster.Core.Scoring;

/// <summary>One grid point of the α search: r_avg on the ID set (NaN when undefined) and whether it could be chosen.</summary>
public sealed record AlphaCandidate(double Alpha, double RAvg, bool Eligible);
