using System.Globalization;
using System.Text;

namespace SisomCluster.Lab.Bench;

/// <summary>The tables of <c>sisom bench chaos</c>: one row per fault over its repetitions, then one per case.</summary>
internal static class ChaosReport
{
    public static string Markdown(IReadOnlyList<ChaosCaseResult> results, ChaosBenchmarkSettings settings, string command)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{System.Environment.ProcessorCount} cores; pool of {settings.Items} stored {settings.Dimension}-d embeddings in shards of {settings.ShardSize} ({settings.MaxAttempts} attempts); one api+coordinator+aggregator process and {ChaosCluster.WorkerCount} workers; private PostgreSQL and RabbitMQ; down time {settings.Down.TotalSeconds:F0} s; lease {settings.LeaseSeconds} s, lease check 2 s, republish after {settings.RepublishSeconds} s.");
        text.AppendLine();
        text.AppendLine("| fault | runs | passed | completed | lost | duplicated | stuck | failed shards | re-issued shards | resume s (median / max) | recovery s (median / max) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (IGrouping<string, ChaosCaseResult> fault in results.GroupBy(r => r.Fault))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {fault.Key} | {fault.Count()} | {fault.Count(r => r.Passed)} | {fault.Count(r => r.State == "completed")} | {fault.Sum(r => r.Lost)} | {fault.Sum(r => r.Duplicates)} | {fault.Max(r => r.Stuck)} | {fault.Sum(r => r.FailedShards)} | {fault.Sum(r => r.ReissuedShards)} | {MedianMax(fault.Select(r => r.ResumeSeconds))} | {MedianMax(fault.Select(r => r.RecoverySeconds))} |");
        }

        text.AppendLine();
        text.AppendLine("| fault | # | passed | run | scored | failed | lost | dup | stuck | failed shards | `_error` msgs | fault s | resume s | recovery s | what was done |");
        text.AppendLine("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (ChaosCaseResult r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Fault} | {r.Repetition} | {(r.Passed ? "yes" : "**no**")} | {r.State} | {r.Scored} | {r.Failed} | {r.Lost} | {r.Duplicates} | {r.Stuck} | {r.FailedShards} | {r.ErrorQueueMessages} | {r.FaultSeconds:F1} | {Format(r.ResumeSeconds)} | {Format(r.RecoverySeconds)} | {r.Detail.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        return text.ToString();
    }

    public static object Json(IReadOnlyList<ChaosCaseResult> results, ChaosBenchmarkSettings settings, string command) => new
    {
        command,
        cores = System.Environment.ProcessorCount,
        items = settings.Items,
        dimension = settings.Dimension,
        shard_size = settings.ShardSize,
        max_attempts = settings.MaxAttempts,
        workers = ChaosCluster.WorkerCount,
        down_seconds = settings.Down.TotalSeconds,
        lease_seconds = settings.LeaseSeconds,
        republish_seconds = settings.RepublishSeconds,
        repeat = settings.Repeat,
        passed = results.All(r => r.Passed),
        results = results.Select(r => new
        {
            r.Fault,
            r.Repetition,
            r.RunId,
            r.Passed,
            r.Injected,
            r.Detail,
            r.State,
            r.PoolItems,
            r.Scored,
            r.Failed,
            r.Lost,
            r.Duplicates,
            r.Stuck,
            r.FailedShards,
            r.ReissuedShards,
            r.ErrorQueueMessages,
            r.FaultSeconds,
            r.ResumeSeconds,
            r.RecoverySeconds,
            r.TotalSeconds,
        }),
    };

    private static string MedianMax(IEnumerable<double?> values)
    {
        double[] sorted = values.OfType<double>().Order().ToArray();
        return sorted.Length == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Length / 2]:F1} / {sorted[^1]:F1}");
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";
}
