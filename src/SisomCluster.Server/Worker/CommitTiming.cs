using System.Diagnostics;
using SisomCluster.Inference.Extraction;

namespace SisomCluster.Server.Worker;

/// <summary>
/// The commit stage of a streamed shard: its COPYs interleave with scoring, so it is measured as the window from the
/// first COPY to the end of the commit, and the time spent in them.
/// </summary>
internal sealed class CommitTiming
{
    private StageWindow _window;
    private long _busyTicks;
    private int _count;

    public void Add(long startTimestamp, long endTimestamp)
    {
        _window = _window.Include(startTimestamp, endTimestamp);
        _busyTicks += endTimestamp - startTimestamp;
        _count++;
    }

    public void AddTo(StageTimings stages, string stage) =>
        stages.Add(stage, _window, Stopwatch.GetElapsedTime(0, _busyTicks), _count);
}
