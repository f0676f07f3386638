using MassTransit;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Coordinator;

/// <summary>
/// Re-issues shards whose lease expired without a commit (a worker died mid-shard): the next attempt is
/// published; after the run's max attempts the shard is failed and <see cref="ShardFailed"/> tells the
/// aggregator, so nothing blocks forever (ARCHITECTURE.md §3).
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
            catch (Exception e) when (e is not OperationCanceledException)
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
            string reason = $"lease of {expired.LeaseOwner ?? "a worker"} expired at {expired.LeaseExpiresAt:O}";
            ShardReissue reissue = await leases.ReissueAsync(expired.RunId, expired.ShardId, expired.Attempt, reason, cancellationToken).ConfigureAwait(false);
            LogReissue(expired.RunId, expired.ShardId, expired.Attempt, reissue.Status);
            if (reissue.Status == ShardReissueStatus.Reissued)
            {
                await bus.Publish(new ScoreShard { RunId = expired.RunId, ShardId = expired.ShardId, Attempt = reissue.Attempt }, cancellationToken).ConfigureAwait(false);
            }
            else if (reissue.Status == ShardReissueStatus.Failed)
            {
                await bus.Publish(new ShardFailed { RunId = expired.RunId, ShardId = expired.ShardId, Attempt = expired.Attempt, Reason = reason }, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {RunId}/{ShardId} attempt {Attempt}: lease expired, {Status}")]
    private partial void LogReissue(Guid runId, int shardId, int attempt, ShardReissueStatus status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lease check failed")]
    private partial void LogCheckFailed(Exception exception);
}
