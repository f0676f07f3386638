using System.Diagnostics;
using SisomCluster.Inference.Extraction;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Where one shard's time went, per pipeline stage (<c>read</c>, <c>decode</c>, <c>infer</c>, <c>score</c>, <c>commit</c>):
/// the wall window the stage spanned and the time it was busy. The stages of a shard overlap (batches flow through them
/// concurrently), so telemetry reports one aggregate per stage and shard rather than one per batch.
/// </summary>
public sealed class StageTimings
{
    private readonly Dictionary<string, Stage> _stages = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>The stages in the order they first ran.</summary>
    public IReadOnlyList<string> Names => _order;

    public StageWindow Window(string stage) => _stages[stage].Window;

    public TimeSpan Busy(string stage) => Stopwatch.GetElapsedTime(0, _stages[stage].BusyTicks);

    /// <summary>How many times the stage ran (batches, or 1 for a stage done once per shard).</summary>
    public int Count(string stage) => _stages[stage].Count;

    /// <summary>Adds one execution of <paramref name="stage"/> between two <see cref="Stopwatch.GetTimestamp"/> values.</summary>
    public void Add(string stage, long startTimestamp, long endTimestamp) => Add(stage, new StageWindow(startTimestamp, endTimestamp), endTimestamp - startTimestamp, 1);

    /// <summary>Adds a stage measured elsewhere (the embedding pipeline's windows and busy times).</summary>
    public void Add(string stage, StageWindow window, TimeSpan busy, int count) => Add(stage, window, (long)(busy.TotalSeconds * Stopwatch.Frequency), count);

    private void Add(string stage, StageWindow window, long busyTicks, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(stage);
        if (window == default)
        {
            return;
        }

        if (!_stages.TryGetValue(stage, out Stage? s))
        {
            _stages[stage] = s = new Stage();
            _order.Add(stage);
        }

        s.Window = s.Window.Include(window.StartTimestamp, window.EndTimestamp);
        s.BusyTicks += busyTicks;
        s.Count += count;
    }

    private sealed class Stage
    {
        public StageWindow Window { get; set; }

        public long BusyTicks { get; set; }

        public int Count { get; set; }
    }
}
