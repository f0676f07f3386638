using System.Diagnostics.Metrics;

namespace SisomCluster.Server.Telemetry;

/// <summary>
/// SisomCluster's instruments, on the <see cref="SisomTelemetry.MeterName"/> meter (created by the host's
/// <see cref="IMeterFactory"/>, so each host owns its meter). Prometheus names: <c>sisom_worker_items_scored_total</c>,
/// <c>sisom_worker_stage_duration_seconds</c>, <c>sisom_queue_lag_seconds</c>, <c>sisom_run_ood_rate</c>,
/// <c>sisom_error_queue_messages</c>.
/// </summary>
public sealed class SisomMetrics
{
    private readonly Counter<long> _itemsScored;
    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<double> _queueLag;
    private readonly Gauge<double> _oodRate;
    private IReadOnlyDictionary<string, long> _parkedCounts = new Dictionary<string, long>();

    public SisomMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(SisomTelemetry.MeterName);
        _itemsScored = meter.CreateCounter<long>("sisom.worker.items_scored", "{item}", "Items a worker committed, by run and outcome (scored, or failed with an item error).");
        _stageDuration = meter.CreateHistogram<double>("sisom.worker.stage.duration", "s", "Busy time of one pipeline stage (read, decode, infer, score, commit) over one shard.");
        _queueLag = meter.CreateHistogram<double>("sisom.queue.lag", "s", "Time from a ScoreShard's publication to a worker starting on it.");
        _oodRate = meter.CreateGauge<double>("sisom.run.ood_rate", null, "Fraction of a completed run's scored items flagged OOD by the run's OOD score (reference items left out).");

        // Observed at each collection from the last count, so every scrape sees every queue's series, whatever the exporter
        // does with synchronous gauges that were not recorded since its last collection.
        meter.CreateObservableGauge(
            "sisom.error_queue.messages",
            () => Volatile.Read(ref _parkedCounts).Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("queue", c.Key))),
            "{message}",
            "Messages parked in a consumer endpoint's _error or _skipped queue (counted by the coordinator and api processes).");
    }

    /// <summary>
    /// The run id is a tag here, against the usual rule: a process scores a handful of runs a day, so the series stay
    /// few, and per-run counts are what a progress panel and the finaliser's check need.
    /// </summary>
    public void ItemsCommitted(Guid runId, int scored, int failed)
    {
        string run = runId.ToString();
        if (scored > 0)
        {
            _itemsScored.Add(scored, new KeyValuePair<string, object?>("run", run), new KeyValuePair<string, object?>("outcome", "scored"));
        }

        if (failed > 0)
        {
            _itemsScored.Add(failed, new KeyValuePair<string, object?>("run", run), new KeyValuePair<string, object?>("outcome", "failed"));
        }
    }

    public void StageDuration(string stage, TimeSpan busy) =>
        _stageDuration.Record(busy.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public void QueueLag(TimeSpan lag) => _queueLag.Record(Math.Max(lag.TotalSeconds, 0));

    public void RunOodRate(Guid runId, double rate) =>
        _oodRate.Record(rate, new KeyValuePair<string, object?>("run", runId.ToString()));

    /// <summary>A parking queue's message count (<c>queue</c> tag: a handful of queues per cluster).</summary>
    /// <summary>The latest count of every parking queue (replaces the previous one).</summary>
    public void ParkedMessages(IReadOnlyDictionary<string, long> counts) =>
        Volatile.Write(ref _parkedCounts, new Dictionary<string, long>(counts, StringComparer.Ordinal));
}
