namespace SisomCluster.Lab.Bench;

/// <summary>
/// One figure of <c>sisom bench cluster</c> / <c>bench rescore</c>. <see cref="Seconds"/> is the whole job;
/// for a cluster run, <see cref="ReferenceSeconds"/> is request → scoring context ready (launch, labeled items
/// embedded, head fitted) and <see cref="ScoringSeconds"/> is context ready → run completed (workers, COPY,
/// finalisation). Overheads are relative to the single-process baseline of the same run.
/// </summary>
public sealed record ClusterBenchmarkResult(
    string Id,
    int Workers,
    long Items,
    double Seconds,
    double? ReferenceSeconds,
    double? ScoringSeconds,
    long RowsWritten,
    double? Overhead,
    double? ScoringOverhead)
{
    public double ItemsPerSecond => Items / Seconds;

    public double? ScoringItemsPerSecond => ScoringSeconds is { } s ? Items / s : null;

    /// <summary>item_scores + item_errors rows per second of the scoring phase (the database's share of the work).</summary>
    public double? RowsPerSecond => ScoringSeconds is { } s ? RowsWritten / s : null;
}
