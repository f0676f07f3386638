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
    private readonly Gauge<long> _parked;

    public SisomMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(SisomTelemetry.MeterName);
        _itemsScored = meter.CreateCounter<long>("sisom.worker.items_scored", "{item}", "Items a worker committed, by run and outcome (scored, or failed with an item error).");
        _stageDuration = meter.CreateHistogram<double>("sisom.worker.stage.duration", "s", "Busy time of one pipeline stage (read, decode, infer, score, commit) over one shard.");
        _queueLag = meter.CreateHistogram<double>("sisom.queue.lag", "s", "Time from a ScoreShard's publication to a worker starting on it.");
        _oodRate = meter.CreateGauge<double>("sisom.run.ood_rate", null, "Fraction of a completed run's scored items flagged OOD by the run's OOD score (reference items left out).");
        _parked = meter.CreateGauge<long>("sisom.error_queue.messages", "{message}", "Messages parked in a consumer endpoint's _error or _skipped queue (counted by the coordinator and api processes).");
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
    public void ParkedMessages(string queue, long count) =>
        _parked.Record(count, new KeyValuePair<string, object?>("queue", queue));
}
