using System.Diagnostics.Metrics;

namespace SisomCluster.Server.Telemetry;

/// <summary>
/// SisomCluster's instruments, on the <see cref="SisomTelemetry.MeterName"/> meter (created by the host's
/// <see cref="IMeterFactory"/>, so each host owns its meter). Prometheus names: <c>sisom_worker_items_scored_total</c>,
/// <c>sisom_worker_stage_duration_seconds</c>, <c>sisom_queue_lag_seconds</c>, <c>sisom_run_ood_rate</c>,
/// <c>sisom_error_queue_messages</c>, <c>sisom_worker_ood_items_total</c>, <c>sisom_worker_ood_expected_items_total</c>,
/// <c>sisom_run_shards</c> (the names deploy/prometheus and deploy/grafana may use).
/// </summary>
public sealed class SisomMetrics
{
    private readonly Counter<long> _itemsScored;
    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<double> _queueLag;
    private readonly Gauge<double> _oodRate;
    private readonly Counter<long> _oodItems;
    private readonly Counter<double> _oodExpected;
    private IReadOnlyDictionary<string, long> _parkedCounts = new Dictionary<string, long>();
    private IReadOnlyList<RunShardCount> _runShards = [];

    public SisomMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(SisomTelemetry.MeterName);
        _itemsScored = meter.CreateCounter<long>("sisom.worker.items_scored", "{item}", "Items a worker committed, by run and outcome (scored, or failed with an item error).");
        _stageDuration = meter.CreateHistogram<double>("sisom.worker.stage.duration", "s", "Busy time of one pipeline stage (read, decode, infer, score, commit) over one shard.");
        _queueLag = meter.CreateHistogram<double>("sisom.queue.lag", "s", "Time from a ScoreShard's publication to a worker starting on it.");
        _oodRate = meter.CreateGauge<double>("sisom.run.ood_rate", null, "Fraction of a completed run's scored items flagged OOD by the run's OOD score (reference items left out).");

        _oodItems = meter.CreateCounter<long>("sisom.worker.ood_items", "{item}", "Pool items (labeled reference items left out) a worker committed, by run and whether the run's OOD score flagged them (flagged = true|false).");
        _oodExpected = meter.CreateCounter<double>("sisom.worker.ood_expected_items", "{item}", "The flagged items expected among the committed pool items if all were in-distribution: 1 - q per item, q the run's quantile.");
        meter.CreateObservableGauge(
            "sisom.run.shards",
            () => Volatile.Read(ref _runShards).Select(c => new Measurement<long>(
                c.Shards, new KeyValuePair<string, object?>("run", c.RunId.ToString()), new KeyValuePair<string, object?>("state", c.State))),
            "{shard}",
            "Shards of each running run by state (pending, leased, done, failed), counted by the coordinator's lease check.");

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

    /// <summary>
    /// A committed shard's pool items (reference items left out) as the run's OOD score judged them, and the count
    /// expected flagged if all were in-distribution, (1 − q) per item: together the Wilson bound of the OOD-rate alert
    /// (deploy/prometheus/sisom-rules.yml) over any window, live while the run is in progress.
    /// </summary>
    public void OodItems(Guid runId, int poolItems, int flagged, double quantile)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(flagged);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(flagged, poolItems);
        if (quantile is not (> 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile q lies strictly between 0 and 1.");
        }

        if (poolItems == 0)
        {
            return;
        }

        var run = new KeyValuePair<string, object?>("run", runId.ToString());
        _oodItems.Add(flagged, run, new KeyValuePair<string, object?>("flagged", "true"));
        _oodItems.Add(poolItems - flagged, run, new KeyValuePair<string, object?>("flagged", "false"));
        _oodExpected.Add(poolItems * (1 - quantile), run);
    }

    /// <summary>The latest shard counts of the running runs (replaces the previous ones; a run that stopped running drops out).</summary>
    public void RunShards(IReadOnlyList<RunShardCount> counts) => Volatile.Write(ref _runShards, counts.ToArray());

    /// <summary>The latest count of every parking queue (replaces the previous one).</summary>
    public void ParkedMessages(IReadOnlyDictionary<string, long> counts) =>
        Volatile.Write(ref _parkedCounts, new Dictionary<string, long>(counts, StringComparer.Ordinal));
}
