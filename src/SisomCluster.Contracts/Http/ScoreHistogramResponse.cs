namespace SisomCluster.Contracts.Http;

/// <summary>Equal-width bins of one score over the run's scored items (finite values only; the maximum falls in the last bin).</summary>
/// <param name="Score">sisom, sisome or energy.</param>
/// <param name="Min">The smallest finite score; null when the run scored no item with a finite one.</param>
/// <param name="Max">The largest finite score; when it equals <paramref name="Min"/>, every item is in the first bin.</param>
/// <param name="Counts">Items per bin, <c>bins</c> long.</param>
/// <param name="Threshold">The run's OOD threshold for this score, where it has one.</param>
/// <param name="Partial">True while the run is not completed: the bins hold the shards committed so far.</param>
/// <remarks>
/// A run whose shards committed their aggregates is binned on fixed edges (README, "Per-shard aggregates"): then
/// <paramref name="Min"/> and <paramref name="Max"/> are the outer bin edges and there may be fewer than <c>bins</c> bins.
/// </remarks>
public sealed record ScoreHistogramResponse(string Score, double? Min, double? Max, IReadOnlyList<long> Counts, double? Threshold, bool Partial = false);
