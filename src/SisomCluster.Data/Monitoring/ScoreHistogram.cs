namespace SisomCluster.Data.Monitoring;

/// <summary>Equal-width bins over [<see cref="Min"/>, <see cref="Max"/>] of one score of a run; <see cref="Threshold"/> where the run has one.</summary>
public sealed record ScoreHistogram(string Score, double Min, double Max, IReadOnlyList<long> Counts, double? Threshold);
