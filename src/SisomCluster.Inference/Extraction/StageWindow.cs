using System.Diagnostics;

namespace SisomCluster.Inference.Extraction;

/// <summary>
/// When a pipeline stage was active, as <see cref="Stopwatch.GetTimestamp"/> values: from the start of its first batch to the
/// end of its last. The stages overlap (the next batch decodes while the current one infers), so a window is wall time
/// the stage spanned, not time it was busy; <see cref="PipelineStatistics"/> has the busy times.
/// </summary>
public readonly record struct StageWindow(long StartTimestamp, long EndTimestamp)
{
    public bool IsEmpty => EndTimestamp <= StartTimestamp;

    /// <summary>This window widened to include [<paramref name="start"/>, <paramref name="end"/>].</summary>
    public StageWindow Include(long start, long end) =>
        this == default ? new StageWindow(start, end) : new StageWindow(Math.Min(StartTimestamp, start), Math.Max(EndTimestamp, end));
}
