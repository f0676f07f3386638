using SisomCluster.Contracts.Http;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Messaging;

namespace SisomCluster.Server.Api.Runs;

/// <summary>Run rows as the API serves them.</summary>
internal static class RunMapping
{
    /// <summary>What a run's status says about parked messages: why they are not lost work, and what to look at.</summary>
    public const string ParkedNote =
        "Not lost work: a shard whose ScoreShard was parked before a worker leased it stays pending and is sent again once its "
        + "last send is older than Coordinator__RepublishSeconds (no attempt spent); one parked after a worker leased it was "
        + "handed back and is sent again at its next attempt. The count is cluster-wide; the messages' fault headers "
        + "(RabbitMQ management UI) say what failed. Purge the queue once understood.";

    public static RunResponse ToResponse(Run run, string? pool, RunProgress? progress, ParkedMessageCounts? parked = null) => new(
        run.Id,
        run.PoolId,
        pool,
        run.ModelName,
        run.ModelVersion,
        run.State.ToString().ToLowerInvariant(),
        run.Budget,
        run.Quantile,
        run.StoreEmbeddings,
        run.ShardSize,
        run.MaxAttempts,
        run.CreatedAt,
        run.StartedAt,
        run.CompletedAt,
        run.Error,
        progress is null ? null : ToResponse(progress),
        run.OodScore,
        (run.State is RunState.Pending or RunState.Running) && parked is { Total: > 0 } ? ToResponse(parked) : null,
        RunRequests.IsIncremental(run),
        run.EmbeddingsFrom,
        run.Knn);

    public static ParkedMessagesResponse ToResponse(ParkedMessageCounts parked) =>
        new(parked.Total, parked.Queues.Where(q => q.Value > 0).ToDictionary(q => q.Key, q => q.Value, StringComparer.Ordinal), parked.CheckedAt, ParkedNote);

    public static RunProgressResponse ToResponse(RunProgress p) =>
        new(p.TotalShards, p.PendingShards, p.LeasedShards, p.DoneShards, p.FailedShards, p.Items, p.ItemsScored, p.ItemsFailed, p.ItemsInFailedShards, p.ItemsSkipped, p.ItemsDone, p.ItemsReused);
}
