using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Aggregator;

/// <summary>
/// Finalises running runs whose shards are all done or failed even when no shard event arrives: a
/// <c>ShardScored</c> published while the broker was down, or a finaliser that crashed, is not waited for forever.
/// </summary>
public sealed partial class RunSweeper(IServiceScopeFactory scopes, IOptions<AggregatorOptions> options, TimeProvider time, ILogger<RunSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            // Only the host's stop ends the loop: a cancellation from inside (an Npgsql or broker timeout surfacing as
            // OperationCanceledException while PostgreSQL or RabbitMQ is down) is one more failed pass, retried next tick.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(e);
            }
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        using IServiceScope scope = scopes.CreateScope();
        SisomDbContext db = scope.ServiceProvider.GetRequiredService<SisomDbContext>();
        List<Guid> running = await db.Runs.Where(r => r.State == RunState.Running)
            .Where(r => !db.Shards.Any(s => s.RunId == r.Id && (s.State == ShardState.Pending || s.State == ShardState.Leased)))
            .Select(r => r.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (Guid runId in running)
        {
            using IServiceScope runScope = scopes.CreateScope();
            await runScope.ServiceProvider.GetRequiredService<RunFinalizer>()
                .TryFinalizeAsync(runId, runScope.ServiceProvider.GetRequiredService<IPublishEndpoint>(), cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Run sweep failed")]
    private partial void LogSweepFailed(Exception exception);
}
