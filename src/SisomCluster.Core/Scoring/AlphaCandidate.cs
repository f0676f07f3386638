namespace SisomCluster.Core.Scoring;

/// <summary>
/// One grid point of the α search: r_avg on the ID set (NaN when undefined), whether it could be
/// chosen, and why not when it could not (e.g. saturated states give σ_r = 0).
/// </summary>
public sealed record AlphaCandidate(double Alpha, double RAvg, bool Eligible, string? IneligibleReason = null);
