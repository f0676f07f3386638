namespace SisomCluster.Data.Aggregates;

/// <summary>
/// The fixed bins of the per-shard score histograms: bin i of a score holds the finite values v with ⌊v / w⌋ = i. The width
/// w is fixed for a run before anything is scored — the score's threshold in the run's scoring context over
/// <see cref="BinsPerThreshold"/> (1 / <see cref="BinsPerThreshold"/> when the context has none) — so every shard bins
/// alike, the bins merge by adding counts, and a bin edge falls on the threshold.
/// </summary>
public static class ScoreBins
{
    /// <summary>Bins between 0 and the threshold: fine enough to regroup into the dashboard's 2–500 bins.</summary>
    public const int BinsPerThreshold = 64;

    /// <summary>The scores with histograms, as <c>item_scores</c> columns.</summary>
    public static IReadOnlyList<string> Scores { get; } = ["sisom", "sisome", "knn", "energy"];

    /// <summary>The bin width of a score whose threshold is <paramref name="threshold"/>.</summary>
    public static double Width(double? threshold) =>
        threshold is { } t && double.IsFinite(t) && t != 0 ? Math.Abs(t) / BinsPerThreshold : 1.0 / BinsPerThreshold;

    /// <summary>⌊v / w⌋, as PostgreSQL's <c>floor(v / w)</c> computes it (the same IEEE division), clamped to ±2⁵³.</summary>
    public static long Index(double value, double width) => (long)Math.Clamp(Math.Floor(value / width), -9007199254740992.0, 9007199254740992.0);
}
