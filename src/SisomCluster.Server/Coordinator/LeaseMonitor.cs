using MassTransit;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Telemetry;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// The coordinator's sweep (ARCHITECTURE.md §3): re-issues shards whose lease expired or was abandoned without a
/// commit (a worker died or gave up), fails them after the run's max attempts — with an error row per listed item
/// and <see cref="ShardFailed"/> for the aggregator — and publishes every pending shard not yet on the bus (a
/// re-issued attempt, or one whose publish was lost while the broker was down) or last published longer ago than
/// <see cref="CoordinatorOptions.RepublishSeconds"/> (its message was lost after the broker took it). The database is the truth; the
/// messages only prompt, so nothing waits forever on a lost one.
/// </summary>
public sealed partial class LeaseMonitor(IServiceScopeFactory scopes, IOptions<CoordinatorOptions> options, TimeProvider time, ILogger<LeaseMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.LeaseCheckSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            // Only the host's stop ends the loop: a cancellation from inside (an Npgsql or broker timeout surfacing as
            // OperationCanceledException while PostgreSQL or RabbitMQ is down) is one more failed pass, retried next tick.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(e);
            }
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        using IServiceScope scope = scopes.CreateScope();
        ShardLeases leases = scope.ServiceProvider.GetRequiredService<ShardLeases>();
        IPublishEndpoint bus = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        foreach (ExpiredShard expired in await leases.ExpiredAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            string reason = expired.LeaseOwner is null
                ? "abandoned by its worker"
                : $"lease of {expired.LeaseOwner} expired at {expired.LeaseExpiresAt:O}";
            ShardReissue reissue = await leases.ReissueAsync(expired.RunId, expired.ShardId, expired.Attempt, reason, ListedItems, cancellationToken).ConfigureAwait(false);
            LogReissue(expired.RunId, expired.ShardId, expired.Attempt, reissue.Status);
            if (reissue.Status == ShardReissueStatus.Failed)
            {
                await bus.Publish(new ShardFailed { RunId = expired.RunId, ShardId = expired.ShardId, Attempt = expired.Attempt, Reason = reissue.LastError ?? "failed" }, cancellationToken).ConfigureAwait(false);
            }
        }

        DateTimeOffset republishBefore = time.GetUtcNow() - TimeSpan.FromSeconds(options.Value.RepublishSeconds);
        int published = await scope.ServiceProvider.GetRequiredService<ShardPublisher>().PublishPendingAsync(scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>(), runId: null, cancellationToken, republishBefore).ConfigureAwait(false);
        if (published > 0)
        {
            LogPublished(published);
        }

        await scope.ServiceProvider.GetRequiredService<RunShardGauge>().RecordAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A failed shard's items that the descriptor lists (directory and manifest pools) get an error row each
    /// (<c>shard_failed</c>), written with the state change in one transaction (<see cref="ShardLeases.ReissueAsync(Guid, int, int, string, Func{string, IReadOnlyList{string}?}?, CancellationToken)"/>),
    /// so the run accounts for every item; a tar or embeddings shard is counted from its <c>item_count</c> and
    /// <c>last_error</c> (its ids may be unreadable). A descriptor that cannot be parsed lists nothing rather than
    /// keeping the shard from ever failing.
    /// </summary>
    private static IReadOnlyList<string>? ListedItems(string descriptor)
    {
        try
        {
            return PoolSources.ListedItemIds(descriptor);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {RunId}/{ShardId} attempt {Attempt}: lease ended without a commit, {Status}")]
    private partial void LogReissue(Guid runId, int shardId, int attempt, ShardReissueStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Count} pending shards")]
    private partial void LogPublished(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lease check failed")]
    private partial void LogCheckFailed(Exception exception);
}
